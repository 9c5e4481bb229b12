/**
 * The request types of the official Elasticsearch client that index definitions are validated against. The JSON
 * schema next to this file is generated from them (`npm run gen:index-schemas`); never edit the schema by hand.
 */
import type {
  ClusterPutComponentTemplateRequest,
  IlmPutLifecycleRequest,
  IndicesPutIndexTemplateRequest,
} from '@elastic/elasticsearch/lib/api/types';

export interface IndexDefinitionRequests {
  componentTemplate: ClusterPutComponentTemplateRequest;
  indexTemplate: IndicesPutIndexTemplateRequest;
  ilmPolicy: IlmPutLifecycleRequest;
}
