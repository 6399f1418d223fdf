/**
 * The BS, camera and PV writers as deployed: the functions of serverless.yml bundled as serverless-esbuild
 * bundles them, run by the local Lambda service (a process per execution environment, only the package's
 * node_modules reachable), writing with the HDF5 engine, whose .wasm and worker scripts come from the
 * external package sfdaq-hdf5-engine. Files read back with h5py as scientists read them.
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFunctions } from '../../../local/lambda/bundle';
import { typedValueAt } from '../../../local/simulators/data-api';
import { startTestStack, type TestStack } from '../../helpers/local-stack';
import { waitForRun } from '../../helpers/runs';
import { py, pythonMissing } from '../adapters/hdf5/engine/py';

const CHANNELS = ['SARFE10-PBPG050:HAMP-INTENSITY-CAL', 'SIM-DTYPE:BOOL', 'SIM-ENDIAN:INT32-BE', 'SIM-WAVE:FLOAT32-2048', 'SIM-DTYPE:STRING'];
const CAMERA = 'SATES21-CAMS154-M1:FPICTURE';
const PVS = ['SARFE10-OPSH044:PRESSURE'];

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack();
}, 180_000);
afterAll(async () => {
  await stack?.destroy();
});

/** Reads every dataset's dtype, filters and a few values with h5py alone (no plugin for the BS files). */
const DESCRIBE = `
out = {}
with h5py.File(sys.argv[1], 'r') as f:
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            plist = obj.id.get_create_plist()
            s = h5py.check_string_dtype(obj.dtype)
            a = obj.asstr()[()] if s else obj[()]
            out[name] = {'dtype': obj.dtype.str, 'shape': list(obj.shape), 'filters': [plist.get_filter(i)[0] for i in range(plist.get_nfilters())],
                         'head': [str(x) for x in np.asarray(a).ravel()[:3].tolist()]}
    f.visititems(visit)
print(json.dumps(out))
`;

type Described = Record<string, { dtype: string; shape: number[]; filters: number[]; head: string[] }>;

async function retrieve(extra: Record<string, unknown>): Promise<{ run: Record<string, any>; files: string[]; start: bigint }> {
  const now = stack.clock.currentPulseId();
  const start = now - 300n;
  const { json } = await stack.post('/retrieve_from_buffers', {
    pgroup: 'p12345', start_pulseid: Number(start), stop_pulseid: Number(start + 99n), channels_list: CHANNELS, camera_list: [CAMERA], pv_list: PVS, ...extra,
  });
  expect(json, JSON.stringify(json)).toMatchObject({ status: 'ok' });
  return { run: await waitForRun(stack, 'p12345', Number(json.message)), files: json.files as string[], start };
}

describe('the deployed package: the engine as an external package', () => {
  it('retrieveSource imports sfdaq-hdf5-engine from its node_modules, where the .wasm and the workers are', async () => {
    const bundles = await bundleFunctions(); // the stack's own bundles (cached by content)
    const bundle = readFileSync(bundles.functions.retrieveSource!.file, 'utf8');
    expect(bundle).toMatch(/from "sfdaq-hdf5-engine(\/chunk-codec)?"/);
    expect(bundle).not.toContain('hdf5-engine.wasm'); // not inlined: no URL to a .wasm beside the bundle
    const pkg = join(bundles.dir, 'node_modules', 'sfdaq-hdf5-engine');
    for (const file of ['index.mjs', 'hdf5-engine.mjs', 'hdf5-engine.wasm', 'chunk-worker.mjs', 'chunk-codec.mjs', 'compressor-worker.mjs']) {
      expect(existsSync(join(pkg, file)), file).toBe(true);
    }
    expect(realpathSync(pkg)).toMatch(/lib\/adapters\/hdf5\/engine\/wasm$/);
  });
});

describe('a run through the local Lambda service', () => {
  let compressed: Awaited<ReturnType<typeof retrieve>>;
  let plain: Awaited<ReturnType<typeof retrieve>>;

  beforeAll(async () => {
    compressed = await retrieve({});
    plain = await retrieve({ bs_compression: false });
  }, 180_000);

  it('every source is done, checked ok', () => {
    for (const { run } of [compressed, plain]) {
      expect(run.sources.map((s: any) => [s.source, s.state])).toEqual([['BSREAD', 'done'], ['CAMERAS', 'done'], ['PVCHANNELS', 'done']]);
      expect(run.state).toBe('done');
    }
  });

  it('BSREAD and PVCHANNELS: shuffle + gzip by default, readable without any plugin; none with bs_compression false', (ctx) => {
    ctx.skip(pythonMissing !== undefined, pythonMissing);
    const bs = py<Described>(DESCRIBE, [compressed.files[0]!], { plugins: false });
    for (const name of ['data', 'pulse_id', 'timestamp', 'global_date', 'is_data_present']) {
      expect(bs[`data/SARFE10-PBPG050:HAMP-INTENSITY-CAL/${name}`]?.filters, name).toEqual([2, 1]);
    }
    expect(bs['data/SIM-DTYPE:BOOL/data']).toMatchObject({ dtype: '|b1', shape: [100] });
    expect(bs['data/SIM-DTYPE:BOOL/is_data_present']).toMatchObject({ dtype: '|b1', head: ['True', 'True', 'True'] });
    expect(bs['data/SIM-ENDIAN:INT32-BE/data']).toMatchObject({ dtype: '>i4', head: [0, 1, 2].map((i) => String((typedValueAt('SIM-ENDIAN:INT32-BE', compressed.start + BigInt(i)) as Int32Array)[0])) });
    expect(bs['data/SIM-WAVE:FLOAT32-2048/data']).toMatchObject({ dtype: '<f4', shape: [100, 2048] });
    expect(bs['data/SIM-DTYPE:STRING/global_date']).toMatchObject({ dtype: '|S35' });
    const pv = py<Described>(DESCRIBE, [compressed.files[2]!], { plugins: false });
    expect(pv[`data/${PVS[0]}/data`]?.filters).toEqual([2, 1]);
    for (const file of [plain.files[0]!, plain.files[2]!]) {
      const d = py<Described>(DESCRIBE, [file], { plugins: false });
      expect(Object.values(d).every((x) => x.filters.length === 0), file).toBe(true);
    }
  });

  it('CAMERAS: the image buffer\'s blobs as chunks, pixels as the simulator made them (h5py + hdf5plugin)', (ctx) => {
    ctx.skip(pythonMissing !== undefined, pythonMissing);
    const out = py<{ shape: number[]; filters: number[]; first: number[]; pulse: string }>(
      `
with h5py.File(sys.argv[1], 'r') as f:
    d = f[sys.argv[2] + '/data']
    plist = d.id.get_create_plist()
    print(json.dumps({'shape': list(d.shape), 'filters': [plist.get_filter(i)[0] for i in range(plist.get_nfilters())],
                      'first': d[7].ravel()[:16].tolist(), 'pulse': str(f[sys.argv[2] + '/pulse_id'][7])}))
`,
      [compressed.files[1]!, CAMERA],
    );
    expect(out).toMatchObject({ shape: [100, 128, 256], filters: [32008], pulse: String(compressed.start + 7n) });
    expect(out.first).toEqual(Array.from((typedValueAt(CAMERA, compressed.start + 7n) as Uint16Array).subarray(0, 16)));
  });

  it('refuses a bs_compression that is not a boolean, naming the field', async () => {
    const { json } = await stack.post('/retrieve_from_buffers', { pgroup: 'p12345', start_pulseid: 1, stop_pulseid: 2, channels_list: [CHANNELS[0]], bs_compression: 'no' });
    expect(json).toMatchObject({ status: 'failed', field: 'bs_compression' });
    expect(json.message).toMatch(/bs_compression must be true or false/);
  });
});
