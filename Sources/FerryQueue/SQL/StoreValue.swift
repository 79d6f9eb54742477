package import Foundation

/// One value bound to or read from a store statement: the five storage classes that both
/// engines share (SQLite's own, and PostgreSQL's `bigint`, `double precision`, `text` and
/// `bytea` as the store's tables declare them).
package enum StoreValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift type the store binds and reads. Reading is lenient where engines differ on
/// the type of an expression (PostgreSQL's `sum` of a bigint is a numeric, which arrives
/// as text); a stored value of another kind reads as nil.
package protocol StoreBindable {
    var storeValue: StoreValue { get }
    static func decode(_ value: StoreValue) -> Self?
}

extension String: StoreBindable {
    package var storeValue: StoreValue { .text(self) }
    package static func decode(_ value: StoreValue) -> String? {
        switch value {
        case .text(let text): text
        case .integer(let number): String(number)
        case .real(let number): String(number)
        case .blob(let bytes): String(decoding: bytes, as: UTF8.self)
        case .null: nil
        }
    }
}

extension Int64: StoreBindable {
    package var storeValue: StoreValue { .integer(self) }
    package static func decode(_ value: StoreValue) -> Int64? {
        switch value {
        case .integer(let number): number
        case .real(let number): Int64(exactly: number)
        case .text(let text): Int64(text) ?? Double(text).flatMap { Int64(exactly: $0) }
        case .blob, .null: nil
        }
    }
}

extension Int: StoreBindable {
    package var storeValue: StoreValue { .integer(Int64(self)) }
    package static func decode(_ value: StoreValue) -> Int? { Int64.decode(value).map { Int($0) } }
}

extension Double: StoreBindable {
    package var storeValue: StoreValue { .real(self) }
    package static func decode(_ value: StoreValue) -> Double? {
        switch value {
        case .real(let number): number
        case .integer(let number): Double(number)
        case .text(let text): Double(text)
        case .blob, .null: nil
        }
    }
}

extension Bool: StoreBindable {
    package var storeValue: StoreValue { .integer(self ? 1 : 0) }
    package static func decode(_ value: StoreValue) -> Bool? { Int64.decode(value).map { $0 != 0 } }
}

extension Array: StoreBindable where Element == UInt8 {
    package var storeValue: StoreValue { .blob(self) }
    package static func decode(_ value: StoreValue) -> [UInt8]? {
        switch value {
        case .blob(let bytes): bytes
        case .text(let text): Array(text.utf8)
        default: nil
        }
    }
}

extension Data: StoreBindable {
    package var storeValue: StoreValue { .blob([UInt8](self)) }
    package static func decode(_ value: StoreValue) -> Data? { [UInt8].decode(value).map { Data($0) } }
}

/// The values for a statement's `?` placeholders, in order.
package struct StoreArguments: ExpressibleByArrayLiteral, Sendable {
    package var values: [StoreValue]

    package init(_ values: [StoreValue] = []) { self.values = values }

    package init(_ values: [(any StoreBindable)?]) { self.values = values.map { $0?.storeValue ?? .null } }

    package init(_ values: [any StoreBindable]) { self.values = values.map(\.storeValue) }

    package init(arrayLiteral elements: (any StoreBindable)?...) { self.init(elements) }

    package mutating func append(_ value: (any StoreBindable)?) { values.append(value?.storeValue ?? .null) }
}
