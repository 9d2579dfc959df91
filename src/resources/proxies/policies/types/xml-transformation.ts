import { enumOf } from '../../settings/settings.fields.ts'
import type { PolicyTypeDefinition } from './definition.ts'
import { Code, maybe, need, xmlToJsonOptions } from './shared-b.ts'

export const xmlTransformation: PolicyTypeDefinition = {
  type: 'policy-xml-transformation',
  label: 'XML transformation',
  fields: {
    transformationType: enumOf(['XML2XML', 'XML2JSON']),
    xsltValue: maybe(Code),
    ...xmlToJsonOptions,
  },
  check: (policy) =>
    need(
      policy,
      'policy',
      'xsltValue',
      policy.transformationType === 'XML2XML',
      'transformationType is XML2XML',
    ),
}
