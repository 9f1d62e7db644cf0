// The ArchiveBrowser behind the HTTP API's /archive routes: the HTTP front
// end of ArchiveService (server/archive_service.h), the same retrieval and
// verification as `hourglass archive`. Each request opens its own store
// handle, so the browser is safe from every HTTP thread.
#pragma once

#include <memory>

#include "archive/shipping/archive_search.h"
#include "archive/shipping/archive_target.h"
#include "common/clock.h"
#include "query/archive_route.h"

namespace hourglass::server {

// `clock` must outlive the browser. `search` caps each /archive/search page.
std::shared_ptr<const query::ArchiveBrowser> MakeArchiveBrowser(
    const archive::ArchiveSettings& settings, const common::Clock& clock,
    const archive::SearchLimits& search = {});

}  // namespace hourglass::server
