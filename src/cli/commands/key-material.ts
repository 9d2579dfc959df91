import type { Command } from 'commander'
import { CreateBody, GenerateBody } from '../../resources/jwks/jwks.schemas.ts'
import * as jwks from '../../resources/jwks/jwks.service.ts'
import { createJwk } from '../../resources/jwks/jwks.sources.ts'
import { KeyBody } from '../../resources/keys/keys.schemas.ts'
import * as keys from '../../resources/keys/keys.service.ts'
import {
  createNamed,
  deleteNamed,
  getNamed,
  listNamed,
} from '../../resources/keys/per-environment.ts'
import type { CliContext } from '../context.ts'
import { checkBody, OPERATOR, readJson, validatorOf } from '../input.ts'
import { listGetDelete } from './reads.ts'

/*
 * apiops jwk list|get|create|generate|delete and apiops key list|get|create|delete:
 * a project's JWKs and keys, through the same services and body schemas as the
 * documented routes. Private members are sealed by the service and read as the mask:
 * nothing here prints them.
 */

const JWKS = '/apiops/projects/{projectName}/jwks'
const KEYS = '/apiops/projects/{projectName}/keys'
const FILE_HELP = '"-" or none: standard input'
const quietDebug = { debug: () => {} }

export function registerKeyMaterialCommands(program: Command, ctx: CliContext): void {
  jwkCommands(program, ctx)
  keyCommands(program, ctx)
}

function jwkCommands(program: Command, ctx: CliContext) {
  const { withServices, print, io } = ctx
  const jwk = program
    .command('jwk')
    .description("a project's JSON Web Keys: list, get, create, generate, delete")
  listGetDelete(jwk, ctx, {
    noun: 'JWK',
    api: JWKS,
    param: 'jwkName',
    columns: ['name', 'type', 'kid', 'useType', 'algorithm', 'sourceType', 'expirationTime'],
    list: jwks.listJwks,
    get: async (...a) => (await jwks.getJwk(...a)).resultList[0],
    remove: jwks.deleteJwk,
  })
  const written = (verb: string) => (w: jwks.JwkWrite) => () =>
    `${verb} JWK ${w.jwk?.name ?? ''} (${w.jwk?.type ?? ''}, kid ${w.jwk?.kid ?? '-'})\n`
  const create = validatorOf(CreateBody)
  jwk
    .command('create <project> [file]')
    .description(
      `create a JWK from a URL, pasted JWK or certificate, by sourceType (POST ${JWKS}/)`,
    )
    .addHelpText('after', `\n[file]: the documented JSON body; ${FILE_HELP}.`)
    .action((projectName: string, file?: string) =>
      withServices(async (s) => {
        const body = checkBody<never>(create, await readJson(io, file))
        const w = await createJwk(s, OPERATOR, projectName, body, quietDebug)
        print(w, written('created')(w))
      })(),
    )
  const generate = validatorOf(GenerateBody)
  jwk
    .command('generate <project> [file]')
    .description(`generate an RSA, EC, oct or OKP JWK (POST ${JWKS}/generate)`)
    .addHelpText('after', `\n[file]: the documented JSON body (name, type, ...); ${FILE_HELP}.`)
    .action((projectName: string, file?: string) =>
      withServices(async (s) => {
        const body = checkBody<never>(generate, await readJson(io, file))
        const w = await jwks.generateJwk(s, OPERATOR, projectName, body)
        print(w, written('generated')(w))
      })(),
    )
}

function keyCommands(program: Command, ctx: CliContext) {
  const { withServices, print, io } = ctx
  const key = program
    .command('key')
    .description("a project's RSA and EC keys: list, get, create, delete")
  listGetDelete(key, ctx, {
    noun: 'key',
    api: KEYS,
    param: 'keyName',
    columns: ['name', 'keyType', 'description'],
    list: (deps, who, project, query) => listNamed(keys.KEYS, deps, who, project, query),
    get: (deps, who, project, name) => getNamed(keys.KEYS, deps, who, project, name),
    remove: (deps, who, project, name) => deleteNamed(keys.KEYS, deps, who, project, name),
  })
  const validate = validatorOf(KeyBody)
  key
    .command('create <project> [file]')
    .description(`create a key, a PEM per environment (POST ${KEYS}/)`)
    .addHelpText(
      'after',
      `\n[file]: the documented JSON body (name, keyType, cryptoKeyInfoEnvironmentList); ${FILE_HELP}.`,
    )
    .action((projectName: string, file?: string) =>
      withServices(async (s) => {
        const body = checkBody<{ name: string }>(validate, await readJson(io, file))
        const deploymentResult = await createNamed(
          keys.KEYS,
          s,
          OPERATOR,
          projectName,
          body as never,
        )
        print({ name: body.name, deploymentResult }, () => `created key ${body.name}\n`)
      })(),
    )
}
