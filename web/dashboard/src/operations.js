// Every operation the dashboard sends, by name. build.mjs registers them in
// the trusted-documents manifest (operations.json), so that a server running
// with TRUSTED_DOCUMENTS serves the dashboard: keep each one a constant
// string here, never built at run time.

const date = 'label precision date';

// The results framework: each result's indicators, baseline → target → actual.
const results = `nodes {
      id title type organization { acronym name }
      indicators(first: 20) {
        nodes {
          id title measure ascending change changePercent metric { name unit }
          baseline { id value asOf { ${date} } }
          target { id value asOf { ${date} } }
          actual { id value asOf { ${date} } }
        }
      }
    }`;

export const Overview = `query Overview($first: Int, $after: String, $last: Int, $before: String, $filter: InitiativeFilter) @live {
  initiatives(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    totalCount
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    nodes {
      id slug title shortTitle kind status
      actualStart { ${date} }
      partnerships(first: 8) { totalCount nodes { id role status organization { id acronym name } } }
      actionItems(first: 1) { progress { total done blocked overdue countsByStatus { status count } } }
      next: meetings(first: 1, filter: {status: {eq: PLANNED}}) { nodes { id slug title date { ${date} } } }
      latest: meetings(first: 1, filter: {status: {eq: HELD}, date: {isNull: false}}, orderBy: [{field: DATE, direction: DESC}]) { nodes { id slug title date { ${date} } } }
    }
  }
  police: deploymentStatistics(first: 100, filter: {metric: {key: {eq: "un-police-deployed"}}}) {
    series { scope change changePercent metric { name unit } points { value change changePercent asOf { ${date} } statistic { id } } }
  }
}`;

// Totals is the overview's aggregate over every action item: at scale it
// costs more than the first page of initiatives, so it is a query of its own
// and the page does not wait for it.
export const Totals = `query Totals @live {
  actionItems(first: 1) { progress { total done blocked overdue countsByStatus { status count } } }
}`;

export const Initiative = `query Initiative($slug: String!) @live {
  initiative(slug: $slug) {
    id slug title shortTitle kind status description objective
    plannedStart { ${date} } actualStart { ${date} } plannedEnd { ${date} } actualEnd { ${date} }
    partnerships(first: 100) { totalCount nodes { id role status description organization { id acronym name kind } } }
    meetings(first: 100) { totalCount nodes { id slug title kind status date { ${date} } place { name } } }
    actionItems(first: 200) {
      totalCount
      progress { total done blocked overdue countsByStatus { status count } }
      nodes { id slug title status version isOverdue nextStatuses due { ${date} } owner { id acronym name } }
    }
    results(first: 20) { ${results} }
  }
}`;

export const Statistics = `query Statistics @live {
  police: deploymentStatistics(first: 100, filter: {metric: {key: {eq: "un-police-deployed"}}}) {
    series { scope change changePercent metric { name unit } points { value change changePercent asOf { ${date} } statistic { id } } }
  }
  interpol: organization(acronym: "INTERPOL") {
    id name acronym
    memberCount { id value scope asOf { ${date} } metric { name unit } }
  }
  results(first: 10) { ${results} }
}`;

const org = 'id slug acronym name kind';
export const Organizations = `query Organizations @live {
  organizations(first: 20, filter: {parent: {isNull: true}}, orderBy: [{field: ID}]) {
    totalCount
    nodes {
      ${org}
      children(first: 15) { nodes { ${org} children(first: 15) { nodes { ${org} children(first: 15) { nodes { ${org} } } } } } }
    }
  }
}`;

export const OrganizationPartnerships = `query OrganizationPartnerships($id: ID!) @live {
  node(id: $id) {
    ... on Organization {
      id acronym name kind description foundedYear
      ancestors { id acronym name }
      memberCount { id value asOf { ${date} } }
      partnerships(first: 50) { totalCount nodes { id role status initiative { id slug title } } }
    }
  }
}`;

export const Search = `query Search($text: String!) {
  search(text: $text, first: 20) {
    totalCount
    nodes {
      type title snippet
      node {
        id
        ... on Initiative { slug }
        ... on Meeting { initiatives(first: 1) { nodes { slug } } }
        ... on ActionItem { initiative { slug } }
      }
    }
  }
}`;

export const Provenance = `query Provenance($id: ID!) {
  node(id: $id) {
    id
    ... on Cited {
      citations(first: 50) { nodes { id field excerpt source { id title publication publishedAt url } } }
    }
    ... on Statistic { note source { id title publication publishedAt url } }
  }
}`;

export const Viewer = `query Viewer { viewer { subject name role organizations { acronym name } } }`;

export const ItemHistory = `query ItemHistory($id: ID!) @live {
  node(id: $id) {
    ... on ActionItem {
      id title status version nextStatuses
      history(first: 20) { nodes { id occurredAt action fromStatus toStatus note actor { role name } } }
    }
  }
}`;

export const MoveItem = `mutation MoveItem($input: UpdateActionItemStatusInput!) {
  updateActionItemStatus(input: $input) { actionItem { id status version nextStatuses } }
}`;
