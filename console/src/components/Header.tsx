import { type KeyboardEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react'
import { useProxyReader } from '../access.ts'
import { useSignedIn } from '../context.ts'
import { navigate, paths, usePath } from '../router.ts'
import { Link, LogoMark, UserIcon } from './ui.tsx'

function NavLink(props: { to: string; label: string; current: boolean }) {
  return (
    <a
      href={props.to}
      className="nav-link"
      aria-current={props.current ? 'page' : undefined}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return
        event.preventDefault()
        navigate(props.to)
      }}
    >
      {props.label}
    </a>
  )
}

export function Header() {
  const { isAdmin } = useSignedIn()
  const proxyReader = useProxyReader()
  const path = usePath()
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <Link to={paths.overview} className="brand">
          <LogoMark />
          <span className="brand-name">apiops</span>
        </Link>
        <nav className="nav" aria-label="Main">
          <NavLink to={paths.overview} label="Overview" current={path === '/'} />
          {proxyReader ? (
            <NavLink to={paths.proxies} label="Proxies" current={path.startsWith(paths.proxies)} />
          ) : null}
          {isAdmin ? (
            <>
              <NavLink to={paths.users} label="Users" current={path.startsWith(paths.users)} />
              <NavLink
                to={paths.projects}
                label="Projects"
                current={path.startsWith(paths.projects)}
              />
              <NavLink to={paths.audit} label="Audit" current={path.startsWith(paths.audit)} />
              <NavLink
                to={paths.settings}
                label="Settings"
                current={path.startsWith(paths.settings)}
              />
            </>
          ) : null}
        </nav>
        <QuickMenu />
      </div>
    </header>
  )
}

/** Menu keys: arrows, Home and End move among the items; Escape and Tab close the menu. */
function onMenuKey(
  event: KeyboardEvent,
  menu: HTMLElement | null,
  close: (returnFocus: boolean) => void,
) {
  const list = [...(menu?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])]
  const at = list.indexOf(document.activeElement as HTMLElement)
  const move = (i: number) => list[(i + list.length) % list.length]?.focus()
  if (event.key === 'ArrowDown') move(at + 1)
  else if (event.key === 'ArrowUp') move(at - 1)
  else if (event.key === 'Home') move(0)
  else if (event.key === 'End') move(list.length - 1)
  else if (event.key === 'Escape') close(true)
  else if (event.key === 'Tab') close(false)
  else return
  if (event.key !== 'Tab') event.preventDefault()
}

/** An item of the Quick Menu: choosing it closes the menu first. */
function MenuItem(props: {
  onSelect(): void
  close(returnFocus: boolean): void
  children: ReactNode
}) {
  return (
    <button
      type="button"
      role="menuitem"
      tabIndex={-1}
      onClick={() => {
        props.close(false)
        props.onSelect()
      }}
    >
      {props.children}
    </button>
  )
}

/** The Quick Menu: the user icon, top right (My Profile, Log out). */
function QuickMenu() {
  const { session, logout } = useSignedIn()
  const [open, setOpen] = useState(false)
  const menuId = useId()
  const buttonRef = useRef<HTMLButtonElement>(null)
  const wrapRef = useRef<HTMLDivElement>(null)
  const menuRef = useRef<HTMLDivElement>(null)

  useEffect(() => {
    if (!open) return
    menuRef.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus()
    const onPointer = (event: PointerEvent) => {
      if (!wrapRef.current?.contains(event.target as Node)) setOpen(false)
    }
    document.addEventListener('pointerdown', onPointer)
    return () => document.removeEventListener('pointerdown', onPointer)
  }, [open])

  function close(returnFocus: boolean) {
    setOpen(false)
    if (returnFocus) buttonRef.current?.focus()
  }

  return (
    <div className="quick-menu" ref={wrapRef}>
      <button
        ref={buttonRef}
        type="button"
        className="quick-menu-button"
        aria-label={`Quick Menu: ${session.username}`}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={menuId}
        title="Quick Menu"
        onClick={() => setOpen((o) => !o)}
        onKeyDown={(event) => {
          if (event.key === 'ArrowDown' && !open) {
            event.preventDefault()
            setOpen(true)
          }
        }}
      >
        <UserIcon />
        <span className="quick-menu-name">{session.username}</span>
      </button>
      <div className="menu-popup" hidden={!open}>
        <p className="menu-who">
          Signed in as <strong>{session.username}</strong>
        </p>
        <div
          id={menuId}
          ref={menuRef}
          role="menu"
          aria-label="Quick Menu"
          onKeyDown={(event) => onMenuKey(event, menuRef.current, close)}
        >
          <MenuItem onSelect={() => navigate(paths.profile)} close={close}>
            My Profile
          </MenuItem>
          <MenuItem onSelect={() => void logout()} close={close}>
            Log out
          </MenuItem>
        </div>
      </div>
    </div>
  )
}
