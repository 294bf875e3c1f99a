import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { environmentNames } from '../../common/names';

export interface LogQueriesProps {
  /** The environment's name; the queries are saved under `boop-<env>/`. */
  readonly envName: string;
  /** The services' log groups, both slots. */
  readonly logGroups: readonly logs.ILogGroup[];
  /** A request slower than this, in ms, is listed by the slow-requests query. */
  readonly slowRequestMs: number;
}

/** Placeholder the operator replaces with the user to follow. */
export const USER_ID_PLACEHOLDER = 'REPLACE_WITH_USER_ID';

/**
 * The monitoring guide's three log-analysis queries as saved CloudWatch Logs Insights queries.
 * They read the fields of its BoopLogger entries: event, success, errorCode, responseTime, userId.
 */
export interface SavedQuery {
  /** What the query answers, for the dashboard. */
  readonly title: string;
  /** The name it is saved under in Logs Insights. */
  readonly name: string;
  readonly definition: logs.QueryDefinition;
  /** The Logs Insights query text. */
  readonly queryString: string;
}

export class LogQueries extends Construct {
  public readonly queries: readonly SavedQuery[];

  constructor(scope: Construct, id: string, props: LogQueriesProps) {
    super(scope, id);
    const names = environmentNames(props.envName);
    const save = (id: string, title: string, shortName: string, query: logs.QueryString): SavedQuery => {
      const name = names.logQuery(shortName);
      const definition = new logs.QueryDefinition(this, id, {
        queryDefinitionName: name,
        logGroups: [...props.logGroups],
        queryString: query,
      });
      return { title, name, queryString: query.toString(), definition };
    };
    this.queries = [
      // The guide's SQL also gives each code's share of all failures; Logs Insights has no window
      // functions, so the count per code stands in for it. Run it over the last 24 h.
      save(
        'AuthFailuresByCode',
        'Authentication failures by error code (last 24 h)',
        'auth-failures-by-error-code-24h',
        new logs.QueryString({
          filterStatements: ['event = "boop_authentication"', '(success = 0 or success = "false")'],
          statsStatements: ['count(*) as failures by errorCode'],
          sort: 'failures desc',
        }),
      ),
      save(
        'SlowRequests',
        `Slow requests (over ${props.slowRequestMs} ms)`,
        'slow-requests',
        new logs.QueryString({
          fields: ['@timestamp', 'event', 'userId', 'responseTime', 'errorCode', '@logStream'],
          filterStatements: [`responseTime > ${props.slowRequestMs}`],
          sort: 'responseTime desc',
          limit: 100,
        }),
      ),
      save(
        'UserJourney',
        `One user's journey (replace ${USER_ID_PLACEHOLDER})`,
        'user-journey',
        new logs.QueryString({
          fields: ['@timestamp', 'event', 'success', 'errorCode', 'responseTime', 'amount', '@logStream'],
          filterStatements: [`userId = "${USER_ID_PLACEHOLDER}"`],
          sort: '@timestamp asc',
          limit: 1000,
        }),
      ),
    ];
  }
}
