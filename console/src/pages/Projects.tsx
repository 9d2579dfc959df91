import { type FormEvent, useId, useState } from 'react'
import { ApiError, type Project } from '../api.ts'
import { ConfirmDialog, type ConfirmRequest, FormActions, Modal } from '../components/Dialog.tsx'
import { DateTime, EmptyState, ErrorMessage, Link, Loading, Notice } from '../components/ui.tsx'
import { useSignedIn } from '../context.ts'
import { useLoad } from '../hooks.ts'
import { paths } from '../router.ts'

export function Projects() {
  const { api } = useSignedIn()
  const projects = useLoad(() => api.projects(), [api])
  const [creating, setCreating] = useState(false)
  const [notice, setNotice] = useState<string | null>(null)
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null)
  const list = projects.data ?? []

  function askDelete(project: Project) {
    setNotice(null)
    setConfirm({
      title: 'Delete project?',
      message: (
        <p>
          Delete the project <strong className="break">{project.name}</strong> and its memberships?
          This cannot be undone.
        </p>
      ),
      confirmLabel: 'Delete project',
      action: async () => {
        await api.deleteProject(project.name)
        await projects.reload()
        setNotice(`Project “${project.name}” was deleted.`)
      },
    })
  }

  return (
    <main className="page" id="main">
      <div className="page-head">
        <h1>Projects</h1>
        <button
          type="button"
          className="button button-primary"
          onClick={() => {
            setNotice(null)
            setCreating(true)
          }}
        >
          Create Project
        </button>
      </div>
      <Notice>{notice}</Notice>
      <section className="card card-flush" aria-label="All projects">
        <ErrorMessage>{projects.error}</ErrorMessage>
        {projects.loading && !projects.data ? (
          <Loading />
        ) : list.length === 0 && !projects.error ? (
          <EmptyState title="No projects yet">
            Projects group API proxies and the people who work on them.
          </EmptyState>
        ) : (
          <ProjectTable list={list} onDelete={askDelete} />
        )}
      </section>
      {creating ? (
        <CreateProjectDialog
          onClose={() => setCreating(false)}
          onCreated={(name) => {
            setCreating(false)
            setNotice(`Project “${name}” was created.`)
            void projects.reload()
          }}
        />
      ) : null}
      <ConfirmDialog request={confirm} onDone={() => setConfirm(null)} />
    </main>
  )
}

function ProjectTable(props: { list: Project[]; onDelete(project: Project): void }) {
  return (
    <div className="table-wrap">
      <table className="table responsive">
        <caption className="visually-hidden">Projects</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Description</th>
            <th scope="col">Created</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.list.map((p) => (
            <tr key={p.name}>
              <th scope="row" data-label="Name" className="cell-name">
                <Link to={paths.project(p.name)}>{p.name}</Link>
              </th>
              <td data-label="Description">
                {p.description || <span className="muted">No description</span>}
              </td>
              <td data-label="Created">
                <DateTime iso={p.createdAt} />
              </td>
              <td data-label="" className="cell-actions">
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  aria-label={`Delete project ${p.name}`}
                  onClick={() => props.onDelete(p)}
                >
                  Delete
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  )
}

function CreateProjectDialog(props: { onClose(): void; onCreated(name: string): void }) {
  const { api } = useSignedIn()
  const [name, setName] = useState('')
  const [description, setDescription] = useState('')
  const [errors, setErrors] = useState<{ name?: string; form?: string }>({})
  const [busy, setBusy] = useState(false)
  const ids = { n: useId(), d: useId(), ne: useId(), nh: useId() }

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault()
    if (!name || name.length > 100 || /[\s/]/.test(name)) {
      setErrors({ name: 'Use 1 to 100 characters, without spaces or slashes.' })
      return
    }
    setBusy(true)
    setErrors({})
    try {
      await api.createProject(name, description.trim())
      props.onCreated(name)
    } catch (e) {
      setErrors(
        e instanceof ApiError
          ? { name: e.forField('name'), form: e.message }
          : { form: 'Something went wrong. Try again.' },
      )
      setBusy(false)
    }
  }

  return (
    <Modal title="Create Project" onClose={props.onClose}>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor={ids.n}>Project name</label>
          <input
            id={ids.n}
            value={name}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={errors.name ? true : undefined}
            aria-describedby={errors.name ? `${ids.ne} ${ids.nh}` : ids.nh}
            onChange={(e) => setName(e.target.value)}
            data-autofocus
          />
          <p className="hint" id={ids.nh}>
            No spaces; names are case-sensitive.
          </p>
          {errors.name ? (
            <p className="field-error" id={ids.ne}>
              {errors.name}
            </p>
          ) : null}
        </div>
        <div className="field">
          <label htmlFor={ids.d}>Description (optional)</label>
          <textarea
            id={ids.d}
            rows={3}
            maxLength={1000}
            value={description}
            onChange={(e) => setDescription(e.target.value)}
          />
        </div>
        {errors.form && !errors.name ? <ErrorMessage>{errors.form}</ErrorMessage> : null}
        <FormActions
          onCancel={props.onClose}
          busy={busy}
          label="Create Project"
          busyLabel="Creating…"
        />
      </form>
    </Modal>
  )
}
