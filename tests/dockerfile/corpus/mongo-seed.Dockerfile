FROM mongo:7
COPY seed.json /seed.json
ARG MONGO_ROOT_PASSWORD=example
CMD mongoimport --host mongodb --db app --collection items --type json --file /seed.json --jsonArray
