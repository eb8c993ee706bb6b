package models

// The relations filters can follow, declared once all entities exist.
func init() {
	organizations.one("parent", organizations, "parent_id")
	organizations.one("headquarters", places, "headquarters_place_id")
	organizations.many("partnerships", partnerships, "organization_id")

	people.many("positions", positions, "person_id")

	positions.one("person", people, "person_id")
	positions.one("organization", organizations, "organization_id")

	initiatives.many("partnerships", partnerships, "initiative_id")
	initiatives.many("actionItems", actionItems, "initiative_id")
	initiatives.through("meetings", meetings, "meeting_initiatives", "initiative_id", "meeting_id")
	initiatives.through("topics", topics, "initiative_topics", "initiative_id", "topic_id")
	initiatives.through("places", places, "initiative_places", "initiative_id", "place_id")

	initiativeRelations.base = "initiative_relations"
	initiativeRelations.one("relatedInitiative", initiatives, "related_initiative_id")

	partnerships.one("initiative", initiatives, "initiative_id")
	partnerships.one("organization", organizations, "organization_id")

	meetings.one("place", places, "place_id")
	meetings.one("organizer", organizations, "organizer_organization_id")
	meetings.many("participants", participants, "meeting_id")
	meetings.through("initiatives", initiatives, "meeting_initiatives", "meeting_id", "initiative_id")
	meetings.through("topics", topics, "meeting_topics", "meeting_id", "topic_id")

	participants.one("meeting", meetings, "meeting_id")
	participants.one("person", people, "person_id")
	participants.one("organization", organizations, "organization_id")

	outcomes.one("meeting", meetings, "meeting_id")
	outcomes.one("initiative", initiatives, "initiative_id")

	statements.one("speaker", people, "person_id")
	statements.one("meeting", meetings, "meeting_id")

	actionItems.one("initiative", initiatives, "initiative_id")
	actionItems.one("owner", organizations, "owner_organization_id")
	actionItems.one("meeting", meetings, "meeting_id")
	actionItems.through("contributors", organizations, "action_item_contributors", "action_item_id", "organization_id")
	actionItems.specials["isOverdue"] = overdueFilter

	statistics.one("metric", metrics, "metric_id")
	statistics.one("scopeOrganization", organizations, "scope_organization_id")
	statistics.one("scopePlace", places, "scope_place_id")
	statistics.one("source", sources, "source_id")

	results.one("initiative", initiatives, "initiative_id")
	results.one("organization", organizations, "organization_id")

	indicators.one("metric", metrics, "metric_id")

	citations.one("source", sources, "source_id")

	places.one("parent", places, "parent_id")

	topicPlaces.one("topic", topics, "topic_id")
	topicPlaces.one("place", places, "place_id")

	for _, e := range []*entity{organizations, people, positions, initiatives, initiativeRelations, partnerships,
		meetings, participants, outcomes, statements, actionItems, statistics, results, indicators, sources,
		places, topics, topicPlaces} {
		citationRelations[e.node] = &Relation[Citation]{relation{name: e.node + ".citations", parent: "a.subject_id",
			where: "a.subject_type = '" + e.node + "'"}}
	}
}
