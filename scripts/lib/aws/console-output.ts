// The instance's serial console as EC2 keeps it: what the box printed while it booted
// (cloud-init's stages included), readable without the SSM agent.
// Reference: EC2 API GetConsoleOutput (Output is base64; Latest asks for the most recent
// output, available on Nitro instances).
import { GetConsoleOutputCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { describeAwsError } from '../core/aws-errors.js';

/** The last `lines` lines of the console, or why they could not be read, as one printable block. */
export async function readConsoleTail(ec2: EC2Client, instanceId: string, lines = 25): Promise<string> {
  try {
    const out = await ec2.send(new GetConsoleOutputCommand({ InstanceId: instanceId, Latest: true }));
    const text = Buffer.from(out.Output ?? '', 'base64').toString('utf8').replace(/\r/g, '').trimEnd();
    if (!text) return 'The console output is empty so far (EC2 captures it a few minutes after boot).';
    return `The last lines of its console output:\n${text.split('\n').slice(-lines).join('\n')}`;
  } catch (err) {
    return `Its console output could not be read (${describeAwsError(err)}).`;
  }
}
