const fs = require("fs"), vm = require("vm"), path = require("path"), Module = require("module");
const file = require.resolve("rampart/package.json").replace("package.json", "dist/rampart.js");
const cacheFile = "/tmp/prof/rampart2.cache";
const t0 = process.cpuUsage();
const src = fs.readFileSync(file, "utf8");
const cached = fs.existsSync(cacheFile) ? fs.readFileSync(cacheFile) : undefined;
const script = new vm.Script(Module.wrap(src), { filename: file, cachedData: cached });
const fn = script.runInThisContext();
const m = new Module(file, module); m.filename = file; m.paths = Module._nodeModulePaths(path.dirname(file));
require.cache[file] = m;
const req = (id) => m.require(id); req.cache = Module._cache; req.resolve = (r, o) => Module._resolveFilename(r, m, false, o); req.main = process.mainModule; fn.call(m.exports, m.exports, req, m, file, path.dirname(file));
m.loaded = true;
if (!cached) { fs.writeFileSync(cacheFile, script.createCachedData()); process.exit(0); }
const t1 = process.cpuUsage(t0);
require("rampart/lambda");
const t2 = process.cpuUsage(t0);
console.log("bundle", (t1.user + t1.system) / 1000, "total", (t2.user + t2.system) / 1000, "rejected", script.cachedDataRejected, cached ? "with cache" : "no cache");
