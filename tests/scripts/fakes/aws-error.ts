// An error as SDK v3 raises it for an AWS error code it has no class for.
export function awsError(name: string, message = name): Error {
  return Object.assign(new Error(message), { name, $fault: 'client', $metadata: { attempts: 1 } });
}
