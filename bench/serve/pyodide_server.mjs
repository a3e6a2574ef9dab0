// bench/serve/pyodide_server.mjs -- reference server for bench/serve/run.sh:
// one Pyodide interpreter (loaded once) answers every request with the same
// JSON as examples/hello. Usage: node pyodide_server.mjs PYODIDE_DIR PORT
import http from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";

const [dir, port] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(path.join(dir, "pyodide.mjs")).href);
const py = await loadPyodide({ indexURL: dir + "/" });
py.runPython(`
import json, time
def handle():
    body = {"service": "hello", "runtime": "cpython-wasm", "ok": True,
            "timestamp": int(time.time())}
    return json.dumps(body)
`);
const handle = py.globals.get("handle");
http.createServer((req, res) => {
  const body = handle();
  res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store",
                       "content-length": Buffer.byteLength(body) });
  res.end(body);
}).listen(Number(port), "127.0.0.1");
