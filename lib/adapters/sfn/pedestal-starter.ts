import { ExecutionAlreadyExists, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { PedestalRef, PedestalWorkflowStarter } from '../../core/detectors/ports';
import { runLabel } from '../../core/paths';

/**
 * Starts the pedestal state machine (statemachine/pedestal.asl.json), one
 * execution per pedestal run named `<beamline>-<pgroup>-pedestal-run_NNNNNN`:
 * a repeated start finds the execution already there and is that run's.
 */
export class StepFunctionsPedestalStarter implements PedestalWorkflowStarter {
  constructor(private readonly stateMachineArn: string, private readonly sfn: SFNClient) {}

  static executionName(ref: PedestalRef): string {
    return `${ref.beamline}-${ref.pgroup}-pedestal-${runLabel(ref.run_number)}`;
  }

  async start(ref: PedestalRef & { not_before: string; detectors: string[] }): Promise<{ executionArn: string }> {
    const name = StepFunctionsPedestalStarter.executionName(ref);
    const input = { beamline: ref.beamline, pgroup: ref.pgroup, run_number: ref.run_number, stamp: ref.stamp, not_before: ref.not_before, detectors: ref.detectors };
    try {
      const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: JSON.stringify(input) }));
      return { executionArn: out.executionArn! };
    } catch (error) {
      if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
        return { executionArn: `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}` };
      }
      throw error;
    }
  }
}
