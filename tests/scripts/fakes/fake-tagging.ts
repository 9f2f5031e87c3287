// The Resource Groups Tagging API of the fake account: GetResources over the SSM parameters,
// with the API's paging (PaginationToken; ResourcesPerPage 1–100; a page may come back short or
// empty while more remain, and the last one ends with an empty token) and its filter rules (up to
// 50 tag filters, each key ANDed, its values ORed). Like the real API it never returns IAM roles
// (supported-services.html), and it only knows the resource types the CLI asks for. It answers from
// an index, not the parameters: GetResources returns "tagged or previously tagged" resources, so
// `formerTags` holds names it still reports with what they carried before (deleted, or deleted and
// made again under the same ARN).
import * as tagging from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import { awsError } from './aws-error.js';

type Tags = { Key?: string; Value?: string }[];

export interface TaggingWorld {
  partition: string;
  region: string;
  accountId: string;
  pageSize: number;
  params: Map<string, { tags: Tags }>;
  /** Parameter names the index still reports with these tags, whatever the parameter carries now, or if it is gone. */
  formerTags?: Map<string, Tags>;
}

const invalid = (message: string) => new tagging.InvalidParameterException({ message, Message: message, $metadata: {} });

function matches(tags: Tags, filters: tagging.TagFilter[]): boolean {
  return filters.every((f) => tags.some((t) => t.Key === f.Key && (f.Values === undefined || f.Values.length === 0 || f.Values.includes(t.Value ?? ''))));
}

export function answerTagging(world: TaggingWorld, mock: AwsClientStub<tagging.ResourceGroupsTaggingAPIClient>, h: <I, O>(name: string, fn: (input: I) => O) => (input: I) => Promise<O>): void {
  mock.on(tagging.GetResourcesCommand).callsFake(
    h('GetResources', (input: tagging.GetResourcesCommandInput) => {
      const filters = input.TagFilters ?? [];
      if (filters.length > 50 || filters.some((f) => (f.Values ?? []).length > 20)) throw invalid('at most 50 tag filters of 20 values each');
      const perPage = input.ResourcesPerPage ?? 100;
      if (perPage < 1 || perPage > 100) throw invalid(`ResourcesPerPage ${perPage} is outside 1-100`);
      const types = input.ResourceTypeFilters ?? [];
      if (types.some((t) => t !== 'ssm:parameter')) throw new Error(`fake tagging API does not know the resource types ${types.join(', ')}`);
      const index = new Map([...world.params].map(([name, p]) => [name, p.tags] as const));
      for (const [name, tags] of world.formerTags ?? []) index.set(name, tags);
      const found = [...index].filter(([, tags]) => matches(tags, filters)).map(([name, Tags]) => ({ ResourceARN: `arn:${world.partition}:ssm:${world.region}:${world.accountId}:parameter${name}`, Tags }));
      const token = input.PaginationToken ?? '';
      // The first answer is empty but for its token: a short page is no sign of the end.
      if (token === '') return { ResourceTagMappingList: [], PaginationToken: 'tok-0' };
      const from = Number(token.replace('tok-', ''));
      if (!token.startsWith('tok-') || Number.isNaN(from)) throw new tagging.PaginationTokenExpiredException({ message: `bad token ${token}`, Message: `bad token ${token}`, $metadata: {} });
      const to = from + Math.min(perPage, world.pageSize);
      return { ResourceTagMappingList: found.slice(from, to), PaginationToken: to < found.length ? `tok-${to}` : '' };
    }),
  );
}

export { awsError };
