import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { runLabel } from '../../core/paths';
import type { WorkflowInput, WorkflowStarter } from '../../core/ports';

/**
 * Starts the retrieval state machine, one execution per run named
 * `<beamline>-<pgroup>-run_NNNNNN`: Step Functions refuses a second execution
 * of the same name, so a repeated start (a retried Lambda) never runs twice.
 */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(private readonly stateMachineArn: string, private readonly sfn: SFNClient = new SFNClient({})) {}

  static executionName(input: Pick<WorkflowInput, 'beamline' | 'pgroup' | 'run_number'>): string {
    return `${input.beamline}-${input.pgroup}-${runLabel(input.run_number)}`;
  }

  async start(input: WorkflowInput): Promise<{ executionArn: string }> {
    const name = StepFunctionsWorkflowStarter.executionName(input);
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }),
      );
      return { executionArn: out.executionArn! };
    } catch (error) {
      // Same name already started (by an earlier try of this very hand-off): that execution is the run's.
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        const arn = this.stateMachineArn.replace(':stateMachine:', ':execution:') + `:${name}`;
        return { executionArn: arn };
      }
      throw error;
    }
  }
}
