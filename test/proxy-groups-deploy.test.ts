import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  CREATE_EXAMPLES,
  DOCUMENTED_ANSWERS,
  expectDocumentedShape,
  UPDATE_EXAMPLE,
} from './fixtures/proxy-group-examples.ts'
import { dialects } from './helpers.ts'
import { allow, base, GroupsWorld, proxyBody, refuse } from './proxy-groups-support.ts'

describe.each(dialects())('API proxy groups: deployment, deletion, audit (%s)', (dialect) => {
  let w: GroupsWorld
  beforeAll(async () => {
    w = await GroupsWorld.build(dialect)
    for (const example of CREATE_EXAMPLES) await w.ok('POST', `${base}/`, 'grouper', example)
    for (const proxy of ['PaymentAPI', 'RefundAPI'])
      await w.ok('POST', `${base}/PaymentAPIGroup/apiProxies/${proxy}/`, 'grouper')
  })
  afterAll(() => w.ctx.close())

  describe('deployment', () => {
    const at = (env: string, group = 'PaymentAPIGroup') => `${base}/${group}/environments/${env}/`

    it('lists the environments the project may use, none deployed yet', async () => {
      const list = await w.ok('GET', `${base}/PaymentAPIGroup/environments/`, 'grouper')
      expectDocumentedShape(list, DOCUMENTED_ANSWERS.environments)
      expect(list).toMatchObject({ success: true, resultCount: 3 })
      expect(list.resultList).toEqual([
        expect.objectContaining({ environmentName: 'development', deployed: false }),
        expect.objectContaining({ environmentName: 'production', deployed: false }),
        expect.objectContaining({ environmentName: 'staging', deployed: false }),
      ])
    })

    it('deploys every member; the proxies show it', async () => {
      const res = await w.ok('POST', at('production'), 'grouper')
      expectDocumentedShape(res, DOCUMENTED_ANSWERS.deploy)
      expect(res.deploymentResult).toMatchObject({
        success: true,
        environmentResults: [
          {
            environmentName: 'production',
            success: true,
            apiProxyResults: [
              { apiProxyName: 'PaymentAPI', success: true, message: 'Deployed revision 1' },
              { apiProxyName: 'RefundAPI', success: true, message: 'Deployed revision 1' },
            ],
          },
        ],
      })
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({
        production: true,
        staging: false,
      })
      expect(await w.proxyDeployments('RefundAPI')).toMatchObject({ production: true })
      expect(await w.proxyDeployments('UserAPI')).toMatchObject({ production: false })
      const envs = await w.groupEnvironments('PaymentAPIGroup')
      expect(envs.find((e) => e.environmentName === 'production')).toMatchObject({
        deployed: true,
        redeployRequired: false,
      })
      const history = await w.ok(
        'GET',
        '/apiops/projects/MyProject/apiProxies/PaymentAPI/deployments/',
        'admin',
      )
      expect(history.resultList[0]).toMatchObject({
        environmentName: 'production',
        action: 'DEPLOY',
        actor: 'grouper',
      })
    })

    it('reports redeployRequired when a member or the group changes; a redeploy clears it', async () => {
      await w.ok(
        'PUT',
        '/apiops/projects/MyProject/apiProxies/url/',
        'admin',
        proxyBody('RefundAPI', '/refunds'),
      )
      const production = async () =>
        (await w.groupEnvironments('PaymentAPIGroup')).find(
          (e) => e.environmentName === 'production',
        )
      expect(await production()).toMatchObject({ deployed: true, redeployRequired: true })
      const redeployed = await w.ok('POST', at('production'), 'grouper')
      expect(redeployed.deploymentResult.environmentResults[0].apiProxyResults[1]).toMatchObject({
        apiProxyName: 'RefundAPI',
        message: 'Redeployed revision 2',
      })
      expect(await production()).toMatchObject({ redeployRequired: false })
      await w.ok('PUT', `${base}/`, 'grouper', UPDATE_EXAMPLE)
      expect(await production()).toMatchObject({ redeployRequired: true })
      await w.ok('POST', at('production'), 'grouper')
      await w.ok('POST', `${base}/PaymentAPIGroup/apiProxies/UserAPI/`, 'grouper')
      expect(await production()).toMatchObject({ redeployRequired: true })
      await w.ok('DELETE', `${base}/PaymentAPIGroup/apiProxies/UserAPI/`, 'grouper')
      expect(await production()).toMatchObject({ redeployRequired: false })
    })

    it('answers 404 for an unknown environment, one the project may not use, an unknown group', async () => {
      for (const [target, says] of [
        [at('nowhere'), "Environment 'nowhere'"],
        [at('elsewhere'), "Environment 'elsewhere'"],
        [at('production', 'Ghost'), "API proxy group 'Ghost'"],
      ] as const) {
        for (const method of ['POST', 'DELETE']) {
          const res = await w.call(method, target, 'grouper')
          expect(res.statusCode, `${method} ${target}`).toBe(404)
          expect(res.json().error_description).toContain(says)
        }
      }
    })

    it('rolls a deploy back entirely when one member fails, and says which', async () => {
      const refund = await w.proxyId('RefundAPI')
      await refuse(w.ctx, dialect, 'INSERT', refund)
      try {
        const res = await w.call('POST', at('staging'), 'grouper')
        expect(res.statusCode).toBe(500)
        expect(res.json().error).toBe('internal_error')
        expect(res.json().error_description).toContain("API proxy 'RefundAPI'")
        expect(res.json().error_description).toContain('rolled back')
        expect(res.body).not.toContain('refused by test')
      } finally {
        await allow(w.ctx, dialect, 'INSERT')
      }
      // PaymentAPI went first and succeeded: it must have been undone with the rest.
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({ staging: false })
      expect(await w.proxyDeployments('RefundAPI')).toMatchObject({ staging: false })
      const staging = (await w.groupEnvironments('PaymentAPIGroup')).find(
        (e) => e.environmentName === 'staging',
      )
      expect(staging).toMatchObject({ deployed: false })
      const history = await w.ok(
        'GET',
        '/apiops/projects/MyProject/apiProxies/PaymentAPI/deployments/',
        'admin',
      )
      expect(
        history.resultList.map((h: { environmentName: string }) => h.environmentName),
      ).not.toContain('staging')
      // Nothing was left behind that would stop a retry.
      await w.ok('POST', at('staging'), 'grouper')
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({ staging: true })
      expect(await w.proxyDeployments('RefundAPI')).toMatchObject({ staging: true })
    })

    it('rolls an undeploy back entirely when one member fails', async () => {
      await refuse(w.ctx, dialect, 'DELETE', await w.proxyId('RefundAPI'))
      try {
        const res = await w.call('DELETE', at('staging'), 'grouper')
        expect(res.statusCode).toBe(500)
        expect(res.json().error_description).toContain("API proxy 'RefundAPI'")
      } finally {
        await allow(w.ctx, dialect, 'DELETE')
      }
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({ staging: true })
      expect(await w.proxyDeployments('RefundAPI')).toMatchObject({ staging: true })
      expect(
        (await w.groupEnvironments('PaymentAPIGroup')).find((e) => e.environmentName === 'staging'),
      ).toMatchObject({ deployed: true })
    })

    it('undeploys every member; undeploying again succeeds and says nothing was there', async () => {
      const res = await w.ok('DELETE', at('staging'), 'grouper')
      expectDocumentedShape(res, DOCUMENTED_ANSWERS.undeploy)
      expect(res.deploymentResult).toMatchObject({
        success: true,
        environmentResults: [
          {
            environmentName: 'staging',
            apiProxyResults: [
              { apiProxyName: 'PaymentAPI', message: 'Undeployed' },
              { apiProxyName: 'RefundAPI', message: 'Undeployed' },
            ],
          },
        ],
      })
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({
        staging: false,
        production: true,
      })
      expect(await w.proxyDeployments('RefundAPI')).toMatchObject({
        staging: false,
        production: true,
      })
      const again = await w.ok('DELETE', at('staging'), 'grouper')
      expect(again.deploymentResult.environmentResults[0].apiProxyResults[0].message).toContain(
        'Was not deployed',
      )
      const history = await w.ok(
        'GET',
        '/apiops/projects/MyProject/apiProxies/PaymentAPI/deployments/',
        'admin',
      )
      // The clock is frozen, so order within one instant is not asserted.
      expect(history.resultList).toContainEqual(
        expect.objectContaining({
          environmentName: 'staging',
          action: 'UNDEPLOY',
          actor: 'grouper',
        }),
      )
    })

    it('refuses, before writing anything, where a member refers to a variable without a value there', async () => {
      await w.ok(
        'POST',
        '/apiops/projects/MyProject/apiProxies/url/',
        'admin',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment variable reference
        proxyBody('VarAPI', '/var', '${PAYMENTS_BACKEND}/v1'),
      )
      await w.ok('POST', `${base}/`, 'grouper', { ...CREATE_EXAMPLES[0], name: 'VarGroup' })
      for (const proxy of ['PaymentAPI', 'VarAPI'])
        await w.ok('POST', `${base}/VarGroup/apiProxies/${proxy}/`, 'grouper')
      const refused = await w.call('POST', at('development', 'VarGroup'), 'grouper')
      expect(refused.statusCode).toBe(400)
      expect(refused.json().validation_errors).toEqual([
        {
          field: 'apiProxies.VarAPI.routingInfo.routingAddressList.0.address',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: an environment variable reference
          message: expect.stringContaining('${PAYMENTS_BACKEND}'),
        },
      ])
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({ development: false })
      expect(
        (await w.groupEnvironments('VarGroup')).find((e) => e.environmentName === 'development'),
      ).toMatchObject({ deployed: false })

      await w.ok(
        'POST',
        '/apiops/projects/MyProject/environmentVariables/PAYMENTS_BACKEND/',
        'admin',
        {
          name: 'PAYMENTS_BACKEND',
          environmentValueList: [
            { environmentName: 'development', value: 'https://payments.internal', visible: false },
          ],
        },
      )
      await w.ok('POST', at('development', 'VarGroup'), 'grouper')
      expect(await w.proxyDeployments('VarAPI')).toMatchObject({ development: true })
      await w.ok('DELETE', at('development', 'VarGroup'), 'grouper')
      await w.ok('DELETE', `${base}/VarGroup/`, 'grouper')
      await w.ok('DELETE', '/apiops/projects/MyProject/apiProxies/VarAPI/', 'admin')
    })

    it('deploys an empty group (its own record) without touching any proxy', async () => {
      const res = await w.ok('POST', at('development', 'VersionedAPIGroup'), 'grouper')
      expect(res.deploymentResult.environmentResults[0].apiProxyResults).toEqual([])
      expect(res.deploymentResult.message).toContain('no member')
      expect(
        (await w.groupEnvironments('VersionedAPIGroup')).find(
          (e) => e.environmentName === 'development',
        ),
      ).toMatchObject({ deployed: true })
    })
  })

  describe('deleting', () => {
    it('a project takes its groups, their members and deployments with it', async () => {
      await w.ok('POST', '/apiops/projects/', 'admin', { name: 'Temp' })
      await w.ok('PUT', '/apiops/environments/development/', 'admin', {
        projects: ['MyProject', 'Temp'],
      })
      await w.ok('POST', '/apiops/projects/Temp/apiProxies/url/', 'admin', proxyBody('TempAPI'))
      await w.ok('POST', '/apiops/projects/Temp/apiProxyGroups/', 'admin', CREATE_EXAMPLES[0])
      const temp = '/apiops/projects/Temp/apiProxyGroups/PaymentAPIGroup'
      await w.ok('POST', `${temp}/apiProxies/TempAPI/`, 'admin')
      await w.ok('POST', `${temp}/environments/development/`, 'admin')
      const count = async () =>
        (await w.ctx.store.db.selectFrom('proxy_groups').select('id').execute()).length
      const before = await count()
      await w.ok('DELETE', '/apiops/projects/Temp/', 'admin')
      expect(await count()).toBe(before - 1)
      // MyProject's group of the same name is untouched.
      expect(await w.members('PaymentAPIGroup')).toEqual(['PaymentAPI', 'RefundAPI'])
    })

    it('a proxy takes it out of its groups; the group stays', async () => {
      await w.ok('POST', `${base}/RestrictedAPIGroup/apiProxies/UserAPI/`, 'grouper')
      expect(await w.members('RestrictedAPIGroup')).toEqual(['UserAPI'])
      await w.ok('DELETE', '/apiops/projects/MyProject/apiProxies/UserAPI/', 'admin')
      expect(await w.members('RestrictedAPIGroup')).toEqual([])
      const rows = await w.ctx.store.db.selectFrom('proxy_group_members').selectAll().execute()
      expect(rows.length).toBe(2) // PaymentAPIGroup's two members only
    })

    it('a group leaves its proxies in place, deployed where they were', async () => {
      expectDocumentedShape(
        await w.ok('DELETE', `${base}/PaymentAPIGroup/`, 'grouper'),
        DOCUMENTED_ANSWERS.success,
      )
      expect(await w.proxyDeployments('PaymentAPI')).toMatchObject({ production: true })
      expect(await w.proxyDeployments('RefundAPI')).toMatchObject({ production: true })
      const names = (await w.ok('GET', `${base}/`, 'grouper')).resultList.map(
        (g: { name: string }) => g.name,
      )
      expect(names).toEqual(['RestrictedAPIGroup', 'VersionedAPIGroup'])
      expect(await w.ctx.store.db.selectFrom('proxy_group_members').selectAll().execute()).toEqual(
        [],
      )
      const again = await w.call('DELETE', `${base}/PaymentAPIGroup/`, 'grouper')
      expect(again.statusCode).toBe(404)
      expect(again.json().error_description).toContain("API proxy group 'PaymentAPIGroup'")
    })
  })

  it('audits every change by its catalogue event, the members named on a deploy', async () => {
    await w.ctx.services.audit.flush()
    const events = await w.ctx.store.db.selectFrom('audit_events').selectAll().execute()
    const actions = new Set(events.map((e) => e.action))
    for (const action of [
      'proxyGroup.created',
      'proxyGroup.updated',
      'proxyGroup.deleted',
      'proxyGroup.memberAdded',
      'proxyGroup.memberRemoved',
      'proxyGroup.deployed',
      'proxyGroup.undeployed',
    ])
      expect(actions, action).toContain(action)
    const created = events.find((e) => e.action === 'proxyGroup.created')
    expect(created).toMatchObject({
      actor_username: 'grouper',
      outcome: 'success',
      target: 'project=MyProject group=PaymentAPIGroup',
    })
    const deployed = events.find((e) => e.action === 'proxyGroup.deployed')
    expect(deployed?.target).toBe(
      'project=MyProject group=PaymentAPIGroup environment=production proxies=PaymentAPI,RefundAPI',
    )
  })
})
