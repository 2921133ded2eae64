#pragma once
// The 15 impact domains every piece of content belongs to (api.md §7). Constant data: any thread.

#include <QString>
#include <QStringList>

namespace bw::domain {

// In the order the API documents them.
const QStringList &domainNames();
bool isValidDomain(const QString &name);

} // namespace bw::domain
