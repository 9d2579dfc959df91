import type { PolicyTypeDefinition } from './definition.ts'
import { Expression, Flag, flag, maybe, need, RefName } from './shared-b.ts'

/**
 * `clearSamlPath` is documented as an XPath, yet the page's update example sends a
 * JSONPath (`$.assertion`): any one-line expression is taken.
 */
export const samlValidation: PolicyTypeDefinition = {
  type: 'policy-saml-validation',
  label: 'SAML validation',
  fields: {
    keyStoreName: RefName,
    allowUnknownSigner: Flag,
    clearSaml: Flag,
    clearSamlPath: maybe(Expression),
  },
  check: (policy) =>
    need(policy, 'policy', 'clearSamlPath', flag(policy, 'clearSaml', false), 'clearSaml is true'),
}
