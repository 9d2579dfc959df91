import { type FormEvent, useId, useState } from 'react'
import { ApiError, ROLE_DESCRIPTIONS, ROLES, type Role, type UserView } from '../api.ts'
import { FormActions, Modal } from '../components/Dialog.tsx'
import {
  DateTime,
  EmptyState,
  ErrorMessage,
  FieldError,
  Link,
  Loading,
  Notice,
  RoleBadges,
} from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { paths } from '../router.ts'

export function Users() {
  const { api } = useSignedIn()
  const users = useLoad(() => api.users(), [api])
  const [creating, setCreating] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const list = users.data ?? []

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Users</h1>
        <button
          type="button"
          className="button button-primary"
          onClick={() => {
            setNotice(null)
            setCreating(true)
          }}
        >
          Create User
        </button>
      </div>
      <Notice>{notice}</Notice>
      <section className="card card-flush" aria-label="All users">
        <ErrorMessage>{users.error}</ErrorMessage>
        {users.loading && !users.data ? (
          <Loading />
        ) : list.length === 0 && !users.error ? (
          <EmptyState title="No users yet" />
        ) : (
          <UsersTable users={list} />
        )}
      </section>
      {creating ? (
        <CreateUserDialog
          onClose={() => setCreating(false)}
          onCreated={(username) => {
            setCreating(false)
            setNotice(`User “${username}” was created.`)
            void users.reload()
          }}
        />
      ) : null}
    </main>
  )
}

function UsersTable(props: { users: readonly UserView[] }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Users</caption>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Email</th>
            <th scope="col">Roles</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {props.users.map((u) => (
            <tr key={u.id}>
              <th scope="row" data-label="Username" className="cell-name">
                <Link to={paths.user(u.username)}>{u.username}</Link>
              </th>
              <td data-label="Email" className="break">
                {u.email ?? <span className="muted">None</span>}
              </td>
              <td data-label="Roles">
                <RoleBadges roles={u.roles} />
              </td>
              <td data-label="Status">
                <span className={`badge ${u.enabled ? 'badge-active' : 'badge-revoked'}`}>
                  {u.enabled ? 'Enabled' : 'Disabled'}
                </span>
              </td>
              <td data-label="Created">
                <DateTime iso={u.createdAt} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

export function RoleCheckboxes(props: {
  value: readonly Role[]
  onChange(roles: Role[]): void
  legend: string
  hideLegend?: boolean
}) {
  const base = useId()
  return (
    <fieldset className="field">
      <legend className={props.hideLegend ? 'visually-hidden' : undefined}>{props.legend}</legend>
      {ROLES.map((role) => (
        <div className="choice choice-described" key={role}>
          <input
            id={`${base}-${role}`}
            type="checkbox"
            checked={props.value.includes(role)}
            onChange={(e) =>
              props.onChange(
                e.target.checked
                  ? ROLES.filter((r) => r === role || props.value.includes(r))
                  : props.value.filter((r) => r !== role),
              )
            }
          />
          <label htmlFor={`${base}-${role}`}>
            <span className="mono">{role}</span>
            <span className="sub">{ROLE_DESCRIPTIONS[role]}</span>
          </label>
        </div>
      ))}
    </fieldset>
  )
}

type NewUserErrors = { username?: string; password?: string; email?: string; form?: string }

/** What the form can tell before asking the server (which checks again). */
function checkNewUser(username: string, password: string): NewUserErrors {
  const found: NewUserErrors = {}
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(username))
    found.username =
      'Use 1 to 64 letters, digits, dots, dashes, underscores or @, starting with a letter or digit.'
  if (password.length < 8) found.password = 'Use at least 8 characters.'
  return found
}

function newUserErrorsOf(e: unknown): NewUserErrors {
  if (!(e instanceof ApiError)) return { form: 'Something went wrong. Try again.' }
  return {
    username: e.forField('username'),
    password: e.forField('password'),
    email: e.forField('email'),
    form: e.message,
  }
}

function CreateUserDialog(props: { onClose(): void; onCreated(username: string): void }) {
  const { api } = useSignedIn()
  const [username, setUsername] = useState('')
  const [password, setPassword] = useState('')
  const [roles, setRoles] = useState<Role[]>([])
  const [email, setEmail] = useState('')
  const [errors, setErrors] = useState<NewUserErrors>({})
  const [busy, setBusy] = useState(false)
  const ids = { u: useId(), p: useId(), ue: useId(), pe: useId(), ph: useId() }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    const found = checkNewUser(username, password)
    setErrors(found)
    if (found.username || found.password) return
    setBusy(true)
    try {
      await api.createUser(username, password, roles, email.trim() || null)
      props.onCreated(username)
    } catch (e) {
      setErrors(newUserErrorsOf(e))
      setBusy(false)
    }
  }

  return (
    <Modal title="Create User" onClose={props.onClose}>
      <form onSubmit={submit} noValidate className="form">
        <div className="field">
          <label htmlFor={ids.u}>Username</label>
          <input
            id={ids.u}
            value={username}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={errors.username ? true : undefined}
            aria-describedby={errors.username ? ids.ue : undefined}
            onChange={(e) => setUsername(e.target.value)}
            data-autofocus
          />
          <FieldError id={ids.ue} message={errors.username} />
        </div>
        <div className="field">
          <label htmlFor={ids.p}>Password</label>
          <input
            id={ids.p}
            type="password"
            value={password}
            autoComplete="new-password"
            aria-invalid={errors.password ? true : undefined}
            aria-describedby={errors.password ? `${ids.pe} ${ids.ph}` : ids.ph}
            onChange={(e) => setPassword(e.target.value)}
          />
          <p className="hint" id={ids.ph}>
            At least 8 characters. Give it to the user over a safe channel.
          </p>
          <FieldError id={ids.pe} message={errors.password} />
        </div>
        <NewUserEmail value={email} onChange={setEmail} error={errors.email} />
        <RoleCheckboxes legend="Roles" value={roles} onChange={setRoles} />
        {errors.form && !errors.username && !errors.password && !errors.email ? (
          <ErrorMessage>{errors.form}</ErrorMessage>
        ) : null}
        <FormActions
          onCancel={props.onClose}
          busy={busy}
          label="Create User"
          busyLabel="Creating…"
        />
      </form>
    </Modal>
  )
}

/** Optional: where the new user's expiry reminders and canary alerts go. */
function NewUserEmail(props: {
  value: string
  onChange(value: string): void
  error: string | undefined
}) {
  const ids = { input: useId(), hint: useId(), error: useId() }
  return (
    <div className="field">
      <label htmlFor={ids.input}>Email (optional)</label>
      <input
        id={ids.input}
        type="email"
        value={props.value}
        autoComplete="off"
        spellCheck={false}
        aria-invalid={props.error ? true : undefined}
        aria-describedby={props.error ? `${ids.error} ${ids.hint}` : ids.hint}
        onChange={(e) => props.onChange(e.target.value)}
      />
      <p className="hint" id={ids.hint}>
        Where reminders before their tokens expire and canary alerts go. They can change it on My
        Profile.
      </p>
      <FieldError id={ids.error} message={props.error} />
    </div>
  )
}
