import { loadH5, withH5Errors } from '../../../lib/adapters/hdf5/h5';

/**
 * Whether an HDF5 file is whole: it opens (a cut file fails HDF5's end-of-file
 * check against its superblock) and every dataset's shape can be read.
 * Returns undefined if whole, else the reason.
 */
export async function h5Problem(path: string): Promise<string | undefined> {
  const { lib, module } = await loadH5();
  let file;
  try {
    file = withH5Errors(module, () => new lib.File(path, 'r'));
  } catch (error) {
    return `does not open: ${(error as Error).message.split('\n').at(-1)}`;
  }
  try {
    const walk = (group: { keys(): string[]; get(name: string): unknown }, prefix: string): number => {
      let datasets = 0;
      for (const name of group.keys()) {
        const item = withH5Errors(module, () => group.get(name)) as { type?: string; shape?: number[]; keys?: () => string[] } | null;
        if (!item) throw new Error(`${prefix}/${name} can not be read`);
        if (item.type === 'Group') datasets += walk(item as never, `${prefix}/${name}`);
        else if (item.type === 'Dataset') {
          void item.shape;
          datasets++;
        }
      }
      return datasets;
    };
    if (walk(file as never, '') === 0) return 'holds no dataset';
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    file.close();
  }
}
