import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import type { ExecutionLookup, ExecutionState, RunRef } from '../../core/ports';
import { StepFunctionsWorkflowStarter } from './workflow-starter';

/**
 * DescribeExecution by the run's execution name (see StepFunctionsWorkflowStarter).
 * On AWS this needs states:DescribeExecution on the state machine's executions (serverless.yml grants it to the sweep).
 */
export class StepFunctionsExecutionLookup implements ExecutionLookup {
  constructor(private readonly stateMachineArn: string, private readonly sfn: SFNClient = new SFNClient({})) {}

  async describe(run: RunRef): Promise<ExecutionState> {
    const executionArn = StepFunctionsWorkflowStarter.executionArn(this.stateMachineArn, run);
    try {
      const out = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return { exists: true, status: out.status as Extract<ExecutionState, { exists: true }>['status'], ...(out.error ? { error: out.error } : {}), ...(out.cause ? { cause: out.cause } : {}) };
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return { exists: false };
      throw error;
    }
  }
}
