/** What SSM says about named parameters, metadata only: the presence check and the keys CLI both read them this way. */
import { DescribeParametersCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ParameterFacts } from './parameter-check';

/** SSM's largest page of DescribeParameters. */
const PAGE_SIZE = 50;
/** SSM filters after paging, so pages may come back short or empty with a token for more; more than this many is not SSM. */
const MAX_PAGES = 50;

/** The facts of exactly these parameters (never a value); a name SSM does not return is missing. */
export async function describeParameters(ssm: SSMClient, names: readonly string[], abortSignal?: AbortSignal): Promise<ParameterFacts[]> {
  const found: ParameterFacts[] = [];
  let nextToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const answer = await ssm.send(
      new DescribeParametersCommand({ ParameterFilters: [{ Key: 'Name', Option: 'Equals', Values: [...names] }], MaxResults: PAGE_SIZE, NextToken: nextToken }),
      { abortSignal },
    );
    for (const parameter of answer.Parameters ?? []) {
      if (parameter.Name !== undefined && names.includes(parameter.Name)) {
        found.push({
          name: parameter.Name,
          type: parameter.Type,
          keyId: parameter.KeyId,
          lastModified: parameter.LastModifiedDate,
          version: parameter.Version,
        });
      }
    }
    nextToken = answer.NextToken;
    if (!nextToken) break;
  }
  return found;
}
