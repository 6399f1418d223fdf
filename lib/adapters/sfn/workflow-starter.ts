import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { runLabel } from '../../core/paths';
import type { RunRef, WorkflowStarter } from '../../core/ports';

/**
 * Starts the retrieval state machine, one execution per run named
 * `<beamline>-<pgroup>-run_NNNNNN`: Step Functions refuses a second execution
 * of the same name, so a repeated start (a retried Lambda) never runs twice.
 * The input is the run's reference only; every task loads the run record.
 */
export class StepFunctionsWorkflowStarter implements WorkflowStarter {
  constructor(private readonly stateMachineArn: string, private readonly sfn: SFNClient = new SFNClient({})) {}

  static executionName(run: RunRef): string {
    return `${run.beamline}-${run.pgroup}-${runLabel(run.run_number)}`;
  }

  static executionArn(stateMachineArn: string, run: RunRef): string {
    return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${StepFunctionsWorkflowStarter.executionName(run)}`;
  }

  async start(run: RunRef): Promise<{ executionArn: string }> {
    const input: RunRef = { beamline: run.beamline, pgroup: run.pgroup, run_number: run.run_number };
    try {
      const out = await this.sfn.send(
        new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name: StepFunctionsWorkflowStarter.executionName(run), input: JSON.stringify(input) }),
      );
      return { executionArn: out.executionArn! };
    } catch (error) {
      // Same name already started (by an earlier try of this very hand-off): that execution is the run's.
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        return { executionArn: StepFunctionsWorkflowStarter.executionArn(this.stateMachineArn, run) };
      }
      throw error;
    }
  }
}
