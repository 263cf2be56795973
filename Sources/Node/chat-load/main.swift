// chat-load: the load generator (issue 9). Usage: `chat-load help`; how it works:
// docs/benchmarks.md, section "chat-load".
import Foundation

let command: LoadCommand
do {
    command = try LoadArguments.parse(Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("chat-load: \(error.message)\n(chat-load help for usage)\n".utf8))
    exit(2)
}
switch command {
case .help:
    print(LoadUsage.text)
case .histogramCheck:
    exit(HistogramCheck.run())
case .peer(let host, let port):
    exit(await GatewayPeer.serve(host: host, port: port))
case .run(let configuration):
    exit(LoadRun.run(configuration))
}
