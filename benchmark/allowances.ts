/**
 * What AWS adds between a rollback alarm's last bad datapoint and the controller's first line, each an
 * assumption with where its number comes from: the benchmark computes time to blue alone with them
 * (benchmark/time-to-blue.ts), and the rehearsal (cli/rehearse) prints what it measured beside them.
 */
export const ALLOWANCES = {
  metricIngestion: {
    seconds: 30,
    what: 'metric ingestion',
    why: 'the ALB sends each minute\'s metrics at its end (Elastic Load Balancing guide, "CloudWatch metrics for your Application Load Balancer": 60-second intervals) and the EMF metrics, high-resolution ones included, arrive with their log lines; AWS publishes no delay, 30 s is assumed',
  },
  alarmEvaluation: {
    seconds: 60,
    highResolutionSeconds: 10,
    what: 'alarm evaluation',
    why: 'an alarm with a period of a minute or more is evaluated once a minute, one with a 10 or 30 s period every 10 s (CloudWatch guide, "Using Amazon CloudWatch alarms", alarm evaluation), so a complete datapoint waits up to 60 s, or 10 s; the composite follows its member as it changes',
  },
  eventDelivery: {
    seconds: 10,
    what: 'EventBridge delivery',
    why: 'CloudWatch delivers alarm state changes to EventBridge durably (EventBridge guide, "Event delivery from AWS services") with no published latency; 10 s is assumed for the rule, the asynchronous invoke and Lambda\'s runtime start',
  },
} as const;
