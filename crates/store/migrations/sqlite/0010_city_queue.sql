-- The city reviews the second level of city-affiliated schools (局属学校) only: its queue is
-- those schools' declarations, oldest first, whatever district they stand in.
CREATE INDEX declarations_city_queue ON declarations (status, queued_at, id) WHERE city_affiliated = 1;
