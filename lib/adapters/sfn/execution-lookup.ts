import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionLookup } from '../../core/ports';
import { StepFunctionsWorkflowStarter } from './workflow-starter';

/**
 * DescribeExecution by the run's execution name (see StepFunctionsWorkflowStarter).
 * On AWS this needs states:DescribeExecution on the state machine's executions.
 */
export class StepFunctionsExecutionLookup implements ExecutionLookup {
  constructor(private readonly stateMachineArn: string, private readonly sfn: SFNClient = new SFNClient({})) {}

  async exists(run: { beamline: string; pgroup: string; run_number: number }): Promise<boolean> {
    const executionArn = `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${StepFunctionsWorkflowStarter.executionName(run)}`;
    try {
      await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return true;
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return false;
      throw error;
    }
  }
}
