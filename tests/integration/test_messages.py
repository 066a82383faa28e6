# SPDX-License-Identifier: Apache-2.0
"""
message.*: create (class and object checked), get, get_since, get_all,
get_all_records(_where), get_record, get_by_uuid, destroy, destroy_many,
destroy_all with filters; messages reach event.from only when "message" is
subscribed; they survive a restart (Halyard keeps them in the database).
"""
import harness


def main(t, x):
    api = x.login()
    pool = api.pool.get_all()[0]
    pool_uuid = api.pool.get_uuid(pool)

    with t.section("create and read"):
        m1 = api.message.create("ALPHA", "2", "Pool", pool_uuid, "first")
        m2 = api.message.create("ALPHA", "3", "pool", pool_uuid, "second")
        m3 = api.message.create("BETA", "5", "Pool", pool_uuid, "third")
        t.ok(all(m.startswith("OpaqueRef:") for m in (m1, m2, m3)), "message.create returns refs")
        rec = api.message.get_record(m1)
        t.eq(rec["name"], "ALPHA", "record name")
        t.eq(rec["cls"], "Pool", "class spelled as the datamodel enum, whatever the case sent")
        t.eq(rec["obj_uuid"], pool_uuid, "record obj_uuid")
        t.eq(api.message.get_by_uuid(rec["uuid"]), m1, "get_by_uuid")
        t.eq(sorted(api.message.get_all()), sorted([m1, m2, m3]), "get_all")
        t.eq(len(api.message.get("Pool", pool_uuid, "19700101T00:00:00Z")), 3, "get by object")
        t.eq(len(api.message.get_since("19700101T00:00:00Z")), 3, "get_since the epoch")
        where = api.message.get_all_records_where('field "name"="BETA"')
        t.eq(list(where.keys()), [m3], "get_all_records_where on name")
        t.fails(lambda: api.message.create("X", "1", "VM", pool_uuid, "b"), "UUID_INVALID",
                "a message about an object that does not exist is refused")
        t.fails(lambda: api.message.create("X", "1", "Nonsense", pool_uuid, "b"),
                ("INVALID_VALUE", "FIELD_TYPE_ERROR"), "an unknown class is refused")

    with t.section("events"):
        tok = api.event.inject("pool", pool)
        api.message.create("GAMMA", "1", "Pool", pool_uuid, "evented")
        r = api.call("event.from", ["pool"], tok, 0.0)
        t.ok(not any(e["class"] == "message" for e in r["events"]),
             "messages do not come to a pool-only subscription")
        r = api.call("event.from", ["message"], tok, 5.0)
        adds = [e for e in r["events"] if e["class"] == "message" and e["operation"] == "add"]
        t.ok(len(adds) == 1 and adds[0]["snapshot"]["name"] == "GAMMA",
             "a message subscription gets the add with its snapshot")

    with t.section("restart keeps messages"):
        x.restart()
        api = x.login()
        t.eq(len(api.message.get_all()), 4, "messages survive a restart")

    with t.section("destroy"):
        api.message.destroy(m1)
        t.fails(lambda: api.message.get_record(m1), "HANDLE_INVALID", "destroyed message is gone")
        api.message.destroy_many([m2, m2])
        t.eq(len(api.message.get_all()), 2, "destroy_many (a duplicate in the list is harmless)")
        t.fails(lambda: api.message.destroy_all({"colour": "red"}), "INVALID_VALUE",
                "destroy_all refuses an unknown filter")
        t.eq(len(api.message.get_all()), 2, "and destroys nothing")
        api.message.destroy_all({"name": "BETA"})
        names = [r["name"] for r in api.message.get_all_records().values()]
        t.eq(names, ["GAMMA"], "destroy_all with a name filter")
        api.message.destroy_all({"before": "20991231T00:00:00Z"})
        t.eq(api.message.get_all(), [], "destroy_all with a before filter")


harness.run(main)
