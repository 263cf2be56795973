import TestSupport
typealias SeededGenerator = SplitMix64

/// The UTF-8 bytes of a string (shorthand for expectations).
func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }
