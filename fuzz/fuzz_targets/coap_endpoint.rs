//! A sequence of datagrams and time steps into one CoAP endpoint: deduplication, Block1
//! reassembly and Block2 slicing (RFC 7959), ACK/RST matching. Every event and datagram is
//! drained; the endpoint's state stays bounded.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lwbs_fuzz::Cursor;
use lwm2m_bootstrap::coap::endpoint::{Endpoint, EndpointEvent};
use lwm2m_bootstrap::coap::{Code, Message, MessageType, TransmissionParams};

fuzz_target!(|data: &[u8]| {
    let mut input = Cursor::new(data);
    let mut endpoint = Endpoint::new(TransmissionParams::default(), u64::from(input.u16()));
    let mut now = 1_000u64;
    let mut steps = 0;
    while !input.is_empty() && steps < 64 {
        steps += 1;
        match input.u8() % 4 {
            0 | 1 => endpoint.handle_datagram(now, input.chunk()),
            2 => {
                now += u64::from(input.u16()) * 10;
                endpoint.handle_timeout(now);
            }
            _ => {
                let mut request = Message::new(MessageType::Confirmable, Code::POST);
                request.set_uri_path(&["rd"]);
                request.payload = input.chunk().to_vec();
                endpoint.send_request(now, request);
            }
        }
        while let Some(event) = endpoint.poll_event() {
            if let EndpointEvent::Request(request) = event {
                // A large response exercises Block2 slicing.
                let mut response = Message::response_to(&request, Code::CONTENT);
                response.payload = vec![0x5A; 2048];
                endpoint.respond(now, &request, response);
            }
        }
        while let Some(datagram) = endpoint.poll_transmit() {
            let decoded = Message::decode(&datagram).expect("the endpoint sends what decodes");
            if !decoded.code.is_request() {
                // Responses are sliced with Block2 (our requests carry what the caller gave).
                assert!(decoded.payload.len() <= 1024, "{} bytes unsliced", decoded.payload.len());
            }
        }
    }
});
