#pragma once
// Bounded JSON parsing for request bodies: size is limited by the transport, depth here (≤ 32 by
// default) before Qt's parser sees the bytes, so hostile nesting cannot exhaust the stack.

#include "server/core/result.h"

#include <QByteArray>
#include <QJsonObject>

namespace bw::http {

// Depth of the deepest array/object nesting (strings are skipped; escapes honoured).
int jsonNestingDepth(const QByteArray &json);

// A JSON object body: malformed, non-object or too deep → 400 BAD_REQUEST with a clear message.
Result<QJsonObject> parseJsonObject(const QByteArray &body, int maxDepth = 32);

} // namespace bw::http
