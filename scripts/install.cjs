#!/usr/bin/env node
// npm's install hook. Uses the prebuilt binary in prebuilds/ (or an existing build/) when one matches
// this platform and loads; only otherwise compiles the addon from source with node-gyp (binding.gyp).
// Before compiling it checks for the tools node-gyp needs and, when one is missing, says which to
// install instead of failing deep inside a build log. Downloads nothing itself.
'use strict';

const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const win = process.platform === 'win32';

function hasPrebuildOrBuild() {
  try {
    // Resolves build/Release, build/Debug or a matching prebuild, then loads it: a prebuild whose tags
    // match but that cannot load here (an older glibc, say) counts as no prebuild.
    require(require('node-gyp-build').path(root));
    return true;
  } catch {
    return false;
  }
}

function onPath(names) {
  const dirs = (process.env.PATH || '').split(path.delimiter).filter(Boolean);
  const exts = win ? (process.env.PATHEXT || '.EXE;.CMD;.BAT').split(';') : [''];
  for (const name of names) {
    if (path.isAbsolute(name) && fs.existsSync(name)) return name;
    for (const dir of dirs) {
      for (const ext of exts) {
        const file = path.join(dir, name + ext);
        try {
          fs.accessSync(file, fs.constants.X_OK);
          if (fs.statSync(file).isFile()) return file;
        } catch {
          // not here
        }
      }
    }
  }
  return null;
}

function missingTools() {
  if (win) return []; // node-gyp finds Visual Studio and Python itself and explains what is missing
  const missing = [];
  const python = process.env.npm_config_python || process.env.PYTHON;
  if (!onPath(python ? [python] : ['python3', 'python'])) missing.push('Python 3 (python3)');
  if (!onPath(['make', 'gmake'])) missing.push('make');
  const cxx = (process.env.CXX || '').split(' ')[0];
  if (!onPath(cxx ? [cxx] : ['c++', 'g++', 'clang++'])) missing.push('a C++17 compiler (g++ or clang++)');
  return missing;
}

function nodeGyp() {
  // npm hands its bundled node-gyp to install scripts; a global one is the fallback.
  const bundled = process.env.npm_config_node_gyp;
  if (bundled && fs.existsSync(bundled)) return [process.execPath, [bundled]];
  return [win ? 'node-gyp.cmd' : 'node-gyp', []];
}

function main() {
  const forced = process.env.npm_config_build_from_source === 'true';
  if (!forced && hasPrebuildOrBuild()) return 0;

  const target = `${process.platform}-${process.arch} (Node ${process.version}, N-API)`;
  const missing = missingTools();
  if (missing.length) {
    console.error(
      [
        '',
        `uvhttp: no prebuilt binary for ${target}, so the addon must be compiled from source,`,
        `but ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not installed.`,
        'Install them and run `npm rebuild uvhttp`, for example:',
        '  Debian/Ubuntu: apt-get install python3 make g++',
        '  Alpine:        apk add python3 make g++',
        '  Fedora/RHEL:   dnf install python3 make gcc-c++',
        '  macOS:         xcode-select --install',
        '',
      ].join('\n'),
    );
    return 1;
  }

  console.error(`uvhttp: no prebuilt binary for ${target}; compiling from source with node-gyp.`);
  const [cmd, pre] = nodeGyp();
  const r = spawnSync(cmd, [...pre, 'rebuild'], { cwd: root, stdio: 'inherit', shell: win && pre.length === 0 });
  if (r.error) {
    console.error(`uvhttp: could not run node-gyp (${r.error.message}). Install it with \`npm install -g node-gyp\`.`);
    return 1;
  }
  if (r.status !== 0) {
    console.error('uvhttp: building from source failed (see the node-gyp output above).');
    return r.status || 1;
  }
  return 0;
}

process.exitCode = main();
