import NodeKit
print("chat-node: not yet implemented")
