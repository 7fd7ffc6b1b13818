// The CommonJS entry (`require('uvhttp')`, compiled to dist/index.cjs). It loads the ES module build
// itself through require(esm) (Node 20.19+, 22.12+), so both entries share one module instance: one
// addon, one set of error classes, whichever way the package was loaded.
import uvhttp = require('./index.js');

export = uvhttp;
