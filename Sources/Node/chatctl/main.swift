import NodeKit
print("chatctl: not yet implemented (see issue 7)")
