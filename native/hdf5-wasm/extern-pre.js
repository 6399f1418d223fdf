// The ES6 output of emscripten 3.1.6 still uses require/__dirname/__filename (pitfall 5).
import { createRequire as __sfdaqCreateRequire } from 'node:module';
import { fileURLToPath as __sfdaqFileURLToPath } from 'node:url';
import { dirname as __sfdaqDirname } from 'node:path';
const require = __sfdaqCreateRequire(import.meta.url);
const __filename = __sfdaqFileURLToPath(import.meta.url);
const __dirname = __sfdaqDirname(__filename);
