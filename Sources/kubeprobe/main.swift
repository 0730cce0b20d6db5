import Foundation
import KubeprobeCore

// The whole tool lives in KubeprobeCore; this maps its result to the process exit code.
let code = await Kubeprobe.run(arguments: Array(CommandLine.arguments.dropFirst()))
exit(code)
