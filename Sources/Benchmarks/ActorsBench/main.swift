print("actors-bench: soon")
