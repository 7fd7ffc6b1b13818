// The CommonJS entry (`require('uvhttp')`, compiled to dist/index.cjs). It loads the ES module build
// itself through require(esm), so both entries share one module instance: one addon, one set of error
// classes, whichever way the package was loaded. require(esm) needs Node 20.19+ or 22.12+; on older
// Node the ES module entry works (import), and require() says so instead of failing obscurely.
type Uvhttp = typeof import('./index.js');

function load(): Uvhttp {
  try {
    return require('./index.js') as Uvhttp;
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_REQUIRE_ESM') {
      throw new Error(
        `uvhttp: require('uvhttp') needs Node 20.19+ or 22.12+ (this is ${process.version}); ` +
          "on this Node use import or import('uvhttp').",
        { cause: err },
      );
    }
    throw err;
  }
}

export = load();
