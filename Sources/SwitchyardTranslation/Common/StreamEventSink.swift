/// Where stream translators put their events: the SSE event name and the event's JSON data.
/// `data` is borrowed, valid only during the call (the translator reuses one buffer for every
/// event, so a steady stream allocates nothing per event once the buffer has grown); copy it
/// or write it out before returning. The host frames each as `event: <name>\ndata: <data>\n\n`.
public typealias StreamEventSink = (_ event: StaticString, _ data: UnsafeRawBufferPointer) -> Void
