"""Prisma Client Python's model actions (`db.user.find_many(...)`, `group_by`, `count`...) and
the write actions of `batch_()`, typed by the generated `<Model>Actions` subclasses."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Generic, Literal, Self, TypeVar, cast, overload

from pydantic import BaseModel

from prisma_asyncpg.errors import RecordNotFoundError
from prisma_asyncpg.types import SortOrder

if TYPE_CHECKING:
    from prisma_asyncpg.client import BasePrisma

__all__ = ["BaseBatch", "BatchActions", "ModelActions"]

M = TypeVar("M", bound=BaseModel)
Where = TypeVar("Where")
WhereUnique = TypeVar("WhereUnique")
Create = TypeVar("Create")
CreateMany = TypeVar("CreateMany")
Update = TypeVar("Update")
UpdateMany = TypeVar("UpdateMany")
Upsert = TypeVar("Upsert")
Include = TypeVar("Include")
Order = TypeVar("Order")
Keys = TypeVar("Keys")
CountInput = TypeVar("CountInput")
CountOutput = TypeVar("CountOutput")
AvgInput = TypeVar("AvgInput")
SumInput = TypeVar("SumInput")
MinInput = TypeVar("MinInput")
MaxInput = TypeVar("MaxInput")
Having = TypeVar("Having")
GroupByOutput = TypeVar("GroupByOutput")
Client = TypeVar("Client", bound="BasePrisma")


def _record_not_found(model: str) -> RecordNotFoundError:
    return RecordNotFoundError(f"Expected a record of {model}, found none.")


class ModelActions(
    Generic[
        M,
        Where,
        WhereUnique,
        Create,
        CreateMany,
        Update,
        UpdateMany,
        Upsert,
        Include,
        Order,
        Keys,
        CountInput,
        CountOutput,
        AvgInput,
        SumInput,
        MinInput,
        MaxInput,
        Having,
        GroupByOutput,
    ]
):
    """Prisma Client Python's model actions (`db.user.find_many(...)`), typed by the generated subclass."""

    _model: ClassVar[str]

    def __init__(self, client: BasePrisma, model: type[M] | None = None) -> None:
        self._client = client
        # The class results are read into: the generated model (None), or a class selecting some of
        # its fields (`Base<Model>` subclasses; see projection.py).
        generated = model is None or model is client._models.get(self._model)
        self._output: type[BaseModel] | None = None if generated else model

    async def find_unique(self, where: WhereUnique, include: Include | None = None) -> M | None:
        engine = self._client.engine
        return cast("M | None", await engine.find_unique(self._model, where, include, self._output))  # type: ignore[arg-type]

    async def find_unique_or_raise(self, where: WhereUnique, include: Include | None = None) -> M:
        found = await self.find_unique(where, include)
        if found is None:
            raise _record_not_found(self._model)
        return found

    async def find_first(
        self,
        skip: int | None = None,
        where: Where | None = None,
        cursor: WhereUnique | None = None,
        include: Include | None = None,
        order: Order | list[Order] | None = None,
        distinct: list[Keys] | None = None,
    ) -> M | None:
        args = {
            "skip": skip,
            "where": where,
            "cursor": cursor,
            "include": include,
            "order": order,
            "distinct": distinct,
        }
        return cast("M | None", await self._client.engine.find_first(self._model, args, self._output))

    async def find_first_or_raise(
        self,
        skip: int | None = None,
        where: Where | None = None,
        cursor: WhereUnique | None = None,
        include: Include | None = None,
        order: Order | list[Order] | None = None,
        distinct: list[Keys] | None = None,
    ) -> M:
        found = await self.find_first(skip, where, cursor, include, order, distinct)
        if found is None:
            raise _record_not_found(self._model)
        return found

    async def find_many(
        self,
        take: int | None = None,
        skip: int | None = None,
        where: Where | None = None,
        cursor: WhereUnique | None = None,
        include: Include | None = None,
        order: Order | list[Order] | None = None,
        distinct: list[Keys] | None = None,
    ) -> list[M]:
        args = {
            "take": take,
            "skip": skip,
            "where": where,
            "cursor": cursor,
            "include": include,
            "order": order,
            "distinct": distinct,
        }
        return cast("list[M]", await self._client.engine.find_many(self._model, args, self._output))

    @overload
    async def count(
        self,
        select: None = None,
        take: int | None = None,
        skip: int | None = None,
        where: Where | None = None,
        cursor: WhereUnique | None = None,
    ) -> int: ...
    @overload
    async def count(
        self,
        select: CountInput,
        take: int | None = None,
        skip: int | None = None,
        where: Where | None = None,
        cursor: WhereUnique | None = None,
    ) -> CountOutput: ...
    async def count(
        self,
        select: CountInput | None = None,
        take: int | None = None,
        skip: int | None = None,
        where: Where | None = None,
        cursor: WhereUnique | None = None,
    ) -> int | CountOutput:
        """The number of records; with `select` (`{'_all': True, 'email': True}`), a dict of the
        number of records (`_all`) and of non-null values of each selected field."""
        args = {"take": take, "skip": skip, "where": where, "cursor": cursor}
        result = await self._client.engine.count(self._model, args, select)  # type: ignore[arg-type]
        return cast("int | CountOutput", result)

    async def group_by(
        self,
        by: list[Keys],
        *,
        where: Where | None = None,
        take: int | None = None,
        skip: int | None = None,
        avg: AvgInput | None = None,
        sum: SumInput | None = None,
        min: MinInput | None = None,
        max: MaxInput | None = None,
        having: Having | None = None,
        count: bool | CountInput | None = None,
        order: Mapping[Keys, SortOrder] | list[Mapping[Keys, SortOrder]] | None = None,
    ) -> list[GroupByOutput]:
        """Groups records by the values of `by` and aggregates each group (`_count`, `_avg`,
        `_sum`, `_min`, `_max` in each result); `having` filters groups, also by aggregates."""
        args = {
            "by": by,
            "where": where,
            "take": take,
            "skip": skip,
            "avg": avg,
            "sum": sum,
            "min": min,
            "max": max,
            "having": having,
            "count": count,
            "order": order,
        }
        return cast("list[GroupByOutput]", await self._client.engine.group_by(self._model, args))

    async def create(self, data: Create, include: Include | None = None) -> M:
        engine = self._client.engine
        return cast("M", await engine.create(self._model, data, include, self._output))  # type: ignore[arg-type]

    async def create_many(self, data: list[CreateMany], *, skip_duplicates: bool | None = None) -> int:
        return await self._client.engine.create_many(self._model, data, bool(skip_duplicates))  # type: ignore[arg-type]

    async def update(self, data: Update, where: WhereUnique, include: Include | None = None) -> M | None:
        engine = self._client.engine
        return cast("M | None", await engine.update(self._model, data, where, include, self._output))  # type: ignore[arg-type]

    async def update_many(self, data: UpdateMany, where: Where) -> int:
        return await self._client.engine.update_many(self._model, data, where)  # type: ignore[arg-type]

    async def upsert(self, where: WhereUnique, data: Upsert, include: Include | None = None) -> M:
        engine = self._client.engine
        return cast("M", await engine.upsert(self._model, where, data, include, self._output))  # type: ignore[arg-type]

    async def delete(self, where: WhereUnique, include: Include | None = None) -> M | None:
        engine = self._client.engine
        return cast("M | None", await engine.delete(self._model, where, include, self._output))  # type: ignore[arg-type]

    async def delete_many(self, where: Where | None = None) -> int:
        return await self._client.engine.delete_many(self._model, where)  # type: ignore[arg-type]


Operation = Literal["create", "create_many", "update", "update_many", "upsert", "delete", "delete_many"]


class BaseBatch:
    """Write queries collected by `db.batch_()` and run in one transaction by `commit()`."""

    def __init__(self, client: BasePrisma) -> None:
        self._client = client
        self._operations: list[tuple[str, Operation, dict[str, Any]]] = []

    def _add(self, model: str, operation: Operation, arguments: dict[str, Any]) -> None:
        self._operations.append((model, operation, arguments))

    async def commit(self) -> None:
        operations, self._operations = self._operations, []
        async with self._client.tx() as transaction:
            engine = transaction.engine
            for model, operation, arguments in operations:
                await getattr(engine, operation)(model, **arguments)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if exc_type is None:
            await self.commit()


class BatchActions(Generic[Where, WhereUnique, Create, CreateMany, Update, UpdateMany, Upsert]):
    """The write actions of one model inside `batch_()`: recorded now, run at `commit()`."""

    _model: ClassVar[str]

    def __init__(self, batch: BaseBatch) -> None:
        self._batch = batch

    def create(self, data: Create) -> None:
        self._batch._add(self._model, "create", {"data": data, "include": None})

    def create_many(self, data: list[CreateMany], *, skip_duplicates: bool | None = None) -> None:
        self._batch._add(self._model, "create_many", {"data": data, "skip_duplicates": bool(skip_duplicates)})

    def update(self, data: Update, where: WhereUnique) -> None:
        self._batch._add(self._model, "update", {"data": data, "where": where, "include": None})

    def update_many(self, data: UpdateMany, where: Where) -> None:
        self._batch._add(self._model, "update_many", {"data": data, "where": where})

    def upsert(self, where: WhereUnique, data: Upsert) -> None:
        self._batch._add(self._model, "upsert", {"where": where, "data": data, "include": None})

    def delete(self, where: WhereUnique) -> None:
        self._batch._add(self._model, "delete", {"where": where, "include": None})

    def delete_many(self, where: Where | None = None) -> None:
        self._batch._add(self._model, "delete_many", {"where": where})
