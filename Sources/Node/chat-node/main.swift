import NodeKit
print("\(NodeKit.serverName): not yet implemented")
