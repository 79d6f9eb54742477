import Foundation

/// Monotonic lap timer, for the benchmarks (FerryBench) and `SealProbe`: `package`, not
/// part of the library's API.
package struct Stopwatch {
    private var last = DispatchTime.now().uptimeNanoseconds

    package init() {}

    package mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}
