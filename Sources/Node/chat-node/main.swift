// chat-node: the chat cluster node. Configuration: environment variables or flags of the
// same meaning (see README.md and NodeConfiguration).
import Foundation
import NodeKit

let configuration: NodeConfiguration
do {
    configuration = try NodeConfiguration.load(
        environment: ProcessInfo.processInfo.environment, arguments: Array(CommandLine.arguments.dropFirst()))
} catch {
    FileHandle.standardError.write(Data("chat-node: invalid configuration:\n\(error.description)\n".utf8))
    exit(2)
}
let node: Node
do {
    node = try Node.start(configuration: configuration)
} catch let error as NodeConfigurationError {
    FileHandle.standardError.write(Data("chat-node: invalid configuration:\n\(error.description)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("chat-node: cannot start: \(error)\n".utf8))
    exit(1)
}
exit(await node.run())
