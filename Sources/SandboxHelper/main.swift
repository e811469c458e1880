// slipway-sandbox: the single-threaded helper the service posix_spawns to run one sandbox.
//
// fd 3: the spec (`SandboxWire.WireSpec`, framed), kept open by the service as a lifeline:
//       EOF means the service is gone and the sandbox is killed.
// fd 4: the report pipe (`SandboxWire.ReportRecord` lines).
// fd 0/1/2: the payload's stdin, stdout and stderr.
import SandboxRuntime

HelperMain.run()
