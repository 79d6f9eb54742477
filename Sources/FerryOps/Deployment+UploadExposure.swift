import Foundation
import FerryCore
import FerryNode

extension Deployment {
    /// Warnings for receiving endpoints reachable beyond loopback without mutual TLS.
    ///
    /// Where a channel pushes over HTTP (`via: { http: … }` or `return: { http: … }`), the
    /// receiving node serves `POST /bundles/…` at that URL. Bundles are signed, so a forged
    /// one is refused, but without `tls: { client_ca: … }` anyone who reaches the port can
    /// make the node read, verify and audit what they post. docs/console.md says why mTLS.
    func uploadExposureNotes() -> [String] {
        var notes: [String] = []
        for channel in topology.channels {
            let pushes = [(channel.forwardHTTP, channel.to), (channel.returnHTTP, channel.from)]
            for case (let target?, let zone) in pushes {
                guard let receiver = topology.node(inZone: zone), receiver.tls?.clientCA == nil else { continue }
                let host = URLComponents(string: target.url)?.host ?? ""
                guard !Loopback.isName(host) else { continue }
                notes.append("warning: node \(receiver.name) takes bundles at \(target.url) beyond loopback without client certificates; "
                    + "set tls: { cert, key, client_ca } on \(receiver.name) so only peers with a certificate can upload (\(topology.file):\(channel.location.line))")
            }
        }
        return notes
    }
}
