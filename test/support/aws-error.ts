/** An error as an AWS SDK client throws it: the service's error name, its message, and the response's status. */
export function awsError(name: string, message = name, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { httpStatusCode: status } });
}
