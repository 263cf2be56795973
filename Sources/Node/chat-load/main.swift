import Gateway
print("chat-load: not yet implemented (see issue 9)")
