import Foundation
import FerryCore
import FerryTransport

extension Node {
    /// A bundle pushed over HTTP lands in its lane's transfer directory exactly as a dropped
    /// file would; the usual receive verifies it. Answers an HTTP status and a message.
    func acceptUpload(from: String, to: String, file: URL) -> (status: Int, message: String) {
        guard to == zone, let lane = topology.lane(from: from, to: to) else {
            return (404, "this node does not receive \(from)→\(to)")
        }
        do {
            try DirectoryDrop(directory: lane.directory, maxFiles: lane.policy.maxFiles, maxBytes: lane.policy.maxBytes).ship(file)
            return (201, "stored for \(lane.name)")
        } catch let error as FerryError where error.code == .transportFull {
            return (429, error.message)
        } catch let error as FerryError {
            return (503, error.message)
        } catch {
            return (503, "\(error)")
        }
    }
}
