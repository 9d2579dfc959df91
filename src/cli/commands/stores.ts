import { writeFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { exportCertificate } from '../../resources/certificates/certificates.export.ts'
import { CreateCertificateForm } from '../../resources/certificates/certificates.schemas.ts'
import * as certificates from '../../resources/certificates/certificates.service.ts'
import {
  createNamed,
  deleteNamed,
  getNamed,
  listNamed,
} from '../../resources/keys/per-environment.ts'
import { KeystoreBody } from '../../resources/keystores/keystores.schemas.ts'
import * as keystores from '../../resources/keystores/keystores.service.ts'
import type { CliContext } from '../context.ts'
import { checkBody, OPERATOR, readBytes, validatorOf } from '../input.ts'
import { listGetDelete } from './reads.ts'

/*
 * apiops keystore list|get|create|delete and apiops certificate
 * list|get|create|export|delete: files a project's gateway holds. Create reads the
 * keystore or PEM files and sends them to the same service, through the same schema,
 * as the documented upload; what comes back has files, passwords and keys masked.
 */

const KEYSTORES = '/apiops/projects/{projectName}/keystores'
const CERTIFICATES = '/apiops/projects/{projectName}/certificates'

interface KeystoreOptions {
  env: string[]
  type: string
  description?: string
  password?: string
  passwordStdin?: boolean
}

interface CertificateOptions {
  privateKey?: string
  alias?: string
  description?: string
  env?: string[]
}

export function registerStoreCommands(program: Command, ctx: CliContext): void {
  keystoreCommands(program, ctx)
  certificateCommands(program, ctx)
}

function keystoreCommands(program: Command, ctx: CliContext) {
  const keystore = program
    .command('keystore')
    .description("a project's keystores (PKCS12, JKS): list, get, create, delete")
  listGetDelete(keystore, ctx, {
    noun: 'keystore',
    api: KEYSTORES,
    param: 'keystoreName',
    columns: ['name', 'description', 'createdAt'],
    list: (deps, who, project, query) => listNamed(keystores.KEYSTORES, deps, who, project, query),
    get: (deps, who, project, name) => getNamed(keystores.KEYSTORES, deps, who, project, name),
    remove: (deps, who, project, name) =>
      deleteNamed(keystores.KEYSTORES, deps, who, project, name),
  })
  const validate = validatorOf(KeystoreBody)
  ctx
    .passwordOptions(
      keystore
        .command('create <project> <name> <file>')
        .description(`upload a keystore file for one or more environments (POST ${KEYSTORES}/)`)
        .requiredOption('--env <environment...>', 'the environments it is for')
        .option('--type <type>', 'PKCS12 or JKS', 'PKCS12')
        .option('--description <text>', 'what it is for'),
    )
    .addHelpText('after', '\nWithout --password-stdin or --password the password is empty.')
    .action((projectName: string, name: string, file: string, o: KeystoreOptions) =>
      ctx.withServices(async (s) => {
        const bytes = (await readBytes(file)).toString('base64')
        const password = o.password === undefined && !o.passwordStdin ? '' : await ctx.password(o)
        const body = checkBody<keystores.KeystoreInput>(validate, {
          name,
          ...(o.description === undefined ? {} : { description: o.description }),
          keyStoreEnvironmentList: o.env.map((environmentName) => ({
            environmentName,
            type: o.type,
            file: bytes,
            password,
          })),
        })
        const deploymentResult = await createNamed(
          keystores.KEYSTORES,
          s,
          OPERATOR,
          projectName,
          body,
        )
        ctx.print({ name, deploymentResult }, () => `created keystore ${name}\n`)
      })(),
    )
}

function certificateCommands(program: Command, ctx: CliContext) {
  const certificate = program
    .command('certificate')
    .description("a project's X.509 certificates: list, get, create, export, delete")
  listGetDelete(certificate, ctx, {
    noun: 'certificate',
    api: CERTIFICATES,
    param: 'name',
    columns: ['name', 'alias', 'subject', 'notAfter', 'validity', 'hasPrivateKey'],
    list: certificates.listCertificates,
    get: certificates.getCertificate,
    remove: certificates.deleteCertificate,
  })
  certificateCreate(certificate, ctx)
  certificate
    .command('export <project> <name> <file>')
    .description(
      `write the DER certificates, one per environment, as a ZIP (GET ${CERTIFICATES}/{name}/export/)`,
    )
    .action((projectName: string, name: string, file: string) =>
      ctx.withServices(async (s) => {
        const { zip } = await exportCertificate(s, OPERATOR, projectName, name)
        await writeFile(file, zip)
        ctx.print(
          { file, bytes: zip.byteLength },
          () => `exported ${name} to ${file} (${zip.byteLength} bytes)\n`,
        )
      })(),
    )
}

function certificateCreate(certificate: Command, { withServices, print }: CliContext) {
  const validate = validatorOf(CreateCertificateForm)
  certificate
    .command('create <project> <name> <pem-file>')
    .description(`upload a PEM certificate, maybe with its private key (POST ${CERTIFICATES}/)`)
    .option('--private-key <file>', 'its unencrypted PEM private key (stored sealed, never shown)')
    .option('--alias <alias>', 'keystore alias (default: the name)')
    .option('--description <text>', 'what it is for')
    .option('--env <environment...>', 'the environments it is in (default: all of the project)')
    .action((projectName: string, name: string, pemFile: string, o: CertificateOptions) =>
      withServices(async (s) => {
        const form = {
          name,
          pemEncodedFile: (await readBytes(pemFile)).toString('utf8'),
          ...(o.privateKey
            ? { privateKeyFile: (await readBytes(o.privateKey)).toString('utf8') }
            : {}),
          ...(o.alias === undefined ? {} : { alias: o.alias }),
          ...(o.description === undefined ? {} : { description: o.description }),
          ...(o.env ? { environmentList: o.env.join(',') } : {}),
        }
        const body = checkBody<certificates.CertificateUpload & { name: string }>(validate, form)
        const w = await certificates.createCertificate(s, OPERATOR, projectName, body)
        print(w, () => `created certificate ${name} (${w.certificate.subject})\n`)
      })(),
    )
}
