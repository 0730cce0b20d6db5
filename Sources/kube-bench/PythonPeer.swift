import Foundation

/// The official Python client (`pip install kubernetes`) as a peer: `$KUBE_PYTHON`, or a
/// private venv (`~/.cache/kube-bench/venv`) created with `python3 -m venv` + pip when missing.
struct PythonPeer {
    let python: String
    let script: String
    let version: String

    static func locate() throws -> PythonPeer {
        var python = ProcessInfo.processInfo.environment["KUBE_PYTHON"] ?? ""
        if python.isEmpty {
            let venv = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/kube-bench/venv")
            python = venv.appendingPathComponent("bin/python").path
            if !FileManager.default.isExecutableFile(atPath: python) {
                FileHandle.standardError.write(Data("kube-bench: creating \(venv.path) with the kubernetes Python client\n".utf8))
                let made = try ChildRun.run("/usr/bin/env", ["python3", "-m", "venv", venv.path])
                guard made.status == 0 else { throw BenchError("python3 -m venv \(venv.path) failed with status \(made.status)") }
            }
        }
        var check = try ChildRun.run(python, ["-c", "import kubernetes; print(kubernetes.__version__)"])
        if check.status != 0 {
            let pip = try ChildRun.run(python, ["-m", "pip", "install", "-q", "kubernetes"])
            guard pip.status == 0 else { throw BenchError("pip install kubernetes failed with status \(pip.status)") }
            check = try ChildRun.run(python, ["-c", "import kubernetes; print(kubernetes.__version__)"])
            guard check.status == 0 else { throw BenchError("\(python) cannot import kubernetes") }
        }
        let script = FileManager.default.temporaryDirectory.appendingPathComponent("kube-bench-peer-\(UUID().uuidString).py")
        try Data(source.utf8).write(to: script)
        return PythonPeer(python: python, script: script.path, version: check.output.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    var client: String { "python-kubernetes \(version)" }

    /// Runs one peer operation in a fresh interpreter; returns the figure it printed and the run.
    func run(_ arguments: [String], environment: [String: String]? = nil) throws -> (figure: Double, run: ChildRun) {
        let result = try ChildRun.run(python, [script] + arguments, environment: environment)
        guard result.status == 0, let figure = Double(result.output.split(separator: "\n").last.map(String.init) ?? "") else {
            throw BenchError("python peer \(arguments.first ?? "") exited with status \(result.status): \(result.output)")
        }
        return (figure, result)
    }

    func remove() { try? FileManager.default.removeItem(atPath: script) }

    /// decode FILE → ms; list KUBECONFIG PAGE → ms; watch KUBECONFIG NS RV EVENTS → events/s;
    /// coldstart SA-DIR → pod count (the process is the measurement).
    static let source = #"""
        import sys, time, json
        mode = sys.argv[1]
        if mode == "coldstart":
            from kubernetes import client
            from kubernetes.config.incluster_config import InClusterConfigLoader
            d = sys.argv[2]
            InClusterConfigLoader(token_filename=d + "/token", cert_filename=d + "/ca.crt").load_and_set()
            ns = open(d + "/namespace").read().strip()
            print(len(client.CoreV1Api().list_namespaced_pod(ns).items))
            sys.exit(0)
        from kubernetes import client, config, watch
        if mode == "decode":
            data = open(sys.argv[2], "rb").read()
            class Response:
                pass
            response = Response()
            response.data = data
            api = client.ApiClient()
            start = time.perf_counter()
            if "content_type" in api.deserialize.__code__.co_varnames:
                # kubernetes >= 35: the client decodes the body to text, then deserializes it.
                pods = api.deserialize(data.decode("utf-8"), "V1PodList", "application/json")
            else:
                pods = api.deserialize(response, "V1PodList")
            elapsed = (time.perf_counter() - start) * 1000
            assert len(pods.items) > 0
            print(elapsed)
        elif mode == "list":
            config.load_kube_config(config_file=sys.argv[2])
            v1 = client.CoreV1Api()
            start = time.perf_counter()
            pods, token = [], None
            while True:
                page = v1.list_pod_for_all_namespaces(limit=int(sys.argv[3]), _continue=token)
                pods.extend(page.items)
                token = page.metadata._continue
                if not token:
                    break
            elapsed = (time.perf_counter() - start) * 1000
            print(len(pods))
            print(elapsed)
        elif mode == "watch":
            config.load_kube_config(config_file=sys.argv[2])
            v1 = client.CoreV1Api()
            wanted = int(sys.argv[5])
            cache, seen = {}, 0
            start = time.perf_counter()
            w = watch.Watch()
            for event in w.stream(v1.list_namespaced_config_map, sys.argv[3], resource_version=sys.argv[4], allow_watch_bookmarks=False):
                obj = event["object"]
                if event["type"] == "DELETED":
                    cache.pop(obj.metadata.name, None)
                else:
                    cache[obj.metadata.name] = obj
                seen += 1
                if seen == wanted:
                    w.stop()
                    break
            elapsed = time.perf_counter() - start
            print(len(cache))
            print(wanted / elapsed)
        """#
}
